// Why did a step miss the cache? Each step that runs leaves a note keyed by its
// identity (stage + instruction); the next build compares its own key parts with
// that note and names what changed: an input step, a file, or the step itself.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { MEDIA_LAYER_TAR, markInUse, readJsonMaybe, writeJsonAtomic, type LayerEntry, type Store } from '@pipekit/cas-store';
import type { OpRecord } from '@pipekit/wire';

export type KeyParts = {
  /** the op without its inputs: what the step itself says */
  definition: string;
  /** each input's display name and cache key */
  inputs: { name: string; key: string }[];
  /** per-path record hashes of the files the step reads by content */
  files: Map<string, string>;
};

export type Note = KeyParts & {
  key: string;
  at: string;
  /** more files than a note keeps: they were not itemised */
  filesOmitted?: boolean;
} & Partial<ReadTime>;

/**
 * A note as stored: files as [path, hash] pairs, which JSON reads and writes
 * several times faster than an object of 20,000 keys. Notes written before
 * held an object; those are read too.
 */
type SavedNote = Omit<Note, 'files'> & { files: [string, string][] | Record<string, string> };

/** When a step began to read the local dirs it reads (ms), and which dirs (real paths). */
export type ReadTime = { readAt: number; localDirs: string[] };

/** per-file records a note keeps (about 50 bytes each) */
const MAX_FILES = 200000;

export function stepIdentity(rec: OpRecord): string {
  // "[build 2/4] RUN make" -> "build RUN make": positions shift when lines are added
  const name = rec.meta.name.replace(/^\[([^\]]*?)\s*\d+\/\d+\]\s*/, '$1 ');
  return createHash('sha256').update(`${rec.meta.stage}\0${name || rec.digest}`).digest('hex').slice(0, 32);
}

function notePath(store: Store, rec: OpRecord): string {
  return path.join(store.dir, 'explain', `${stepIdentity(rec)}.json`);
}

/** The note the last build of this step left, if any (read once per step: explainMiss and previousResult share it). */
export async function readNote(store: Store, rec: OpRecord): Promise<Note | undefined> {
  const saved = await readJsonMaybe<SavedNote>(notePath(store, rec));
  if (!saved || typeof saved.files !== 'object' || saved.files === null) return undefined;
  return { ...saved, files: new Map(Array.isArray(saved.files) ? saved.files : Object.entries(saved.files)) };
}

export function explainMiss(prev: Note | undefined, parts: KeyParts, opts: { noCache: boolean; key: string }): string {
  if (opts.noCache) return 'cache disabled for this step (--no-cache / --no-cache-filter)';
  if (!prev) return 'no earlier build of this step';
  if (prev.key === opts.key) return 'the cached result is gone from the store (pruned or never kept)';
  const why: string[] = [];
  if (prev.definition !== parts.definition) why.push('the step itself changed (command, flags, env or mounts)');
  parts.inputs.forEach((inp, i) => {
    const old = prev.inputs[i];
    if (!old) why.push(`new input ${JSON.stringify(inp.name)}`);
    else if (old.key !== inp.key) why.push(`input ${JSON.stringify(inp.name)} changed`);
  });
  const changed: string[] = [];
  const omitted = prev.filesOmitted || parts.files.size > MAX_FILES;
  if (!omitted) {
    let common = 0;
    for (const [p, h] of parts.files) {
      const was = prev.files.get(p);
      if (was === undefined) changed.push(`${p} (added)`);
      else {
        common++;
        if (was !== h) changed.push(`${p} (changed)`);
      }
    }
    if (common < prev.files.size) for (const p of prev.files.keys()) if (!parts.files.has(p)) changed.push(`${p} (removed)`);
  } else if (why.length === 0) why.push(`files it reads changed (more than ${MAX_FILES}: not itemised)`);
  if (changed.length) {
    const shown = changed.slice(0, 5).join(', ');
    why.push(`files ${shown}${changed.length > 5 ? ` and ${changed.length - 5} more` : ''}`);
  }
  if (why.length === 0) return 'the cached result is gone from the store (pruned or never kept)';
  return why.join('; ');
}

export async function rememberStep(store: Store, rec: OpRecord, key: string, parts: KeyParts, read: ReadTime): Promise<void> {
  const omitted = parts.files.size > MAX_FILES;
  await writeJsonAtomic(notePath(store, rec), { ...parts, files: omitted ? [] : [...parts.files], filesOmitted: omitted, key, at: new Date().toISOString(), ...read } satisfies SavedNote);
}

/** The last result of a step, when only the content it reads changed since (same definition, same input steps). */
export type PreviousResult = {
  /** the snapshot of its (last) layer */
  snapshotDir: string;
  /** that layer's blob when it is a plain tar (layers built here are) */
  blob?: { digest: string; size: number };
  /** its per-path record hashes, and this build's, by path */
  files: ReadonlyMap<string, string>;
  current: ReadonlyMap<string, string>;
  /** the layer itself */
  layer: LayerEntry;
  /** when the last build began reading the same local dirs this one reads: an entry changed before then is as it was then */
  readAt?: number;
};

/**
 * What the last build of this step left, if it differed only in the files it
 * read: a copy can then take the unchanged ones from that snapshot. The
 * snapshot is marked in use before it is returned.
 */
export async function previousResult(store: Store, prev: Note | undefined, parts: KeyParts, localDirs: string[]): Promise<PreviousResult | undefined> {
  if (!prev || prev.filesOmitted || prev.definition !== parts.definition) return undefined;
  if (prev.inputs.length !== parts.inputs.length || prev.inputs.some((inp, i) => inp.key !== parts.inputs[i].key)) return undefined;
  const record = await store.cache.get(prev.key);
  const diffID = record?.outputs[0]?.layers.at(-1);
  const layer = diffID ? await store.layers.get(diffID) : undefined;
  if (!layer?.snapshot) return undefined;
  // the snapshot mark keeps GC off the layer; a layer mark would say this build uses it (see reviseLayer)
  await markInUse(store, 'snapshot', [layer.snapshot]);
  if (!(await store.snapshots.exists(layer.snapshot))) return undefined;
  const blob = layer.blob.mediaType === MEDIA_LAYER_TAR ? { digest: layer.blob.digest, size: layer.blob.size } : undefined;
  const sameDirs = prev.localDirs !== undefined && prev.localDirs.join('\0') === localDirs.join('\0');
  const readAt = sameDirs && typeof prev.readAt === 'number' ? prev.readAt : undefined;
  return { snapshotDir: store.snapshots.dir(layer.snapshot), blob, files: prev.files, current: parts.files, layer, readAt };
}
