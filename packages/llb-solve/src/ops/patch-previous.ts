// A COPY of a local directory's contents that ran before and runs again
// because a few of its files changed. Made from scratch, its snapshot is a hard
// link per unchanged file (20,000 of them for a big context) and its tar packs
// every entry again. Instead the previous layer is revised (cas-store's
// reviseLayer): the changed entries are written into its snapshot and the new
// tar is the old one with those entries' bytes replaced.
//
// Which entries can have changed comes from their ctimes, as the context memo
// decides (changed-since.ts): the last build of this step began reading the
// same dir at `readAt`, after which it wrote what it read; an entry whose ctime
// is older than that (less a margin for coarse clocks) is as it was then, and
// so is its copy in the previous snapshot. The checksum that made this build's
// cache key knows them (its walk lstat'ed every entry, or it came from records
// and asked find what changed); else find is asked here.
//
// Only the plain case is taken, where the result is what a full copy would
// make, byte for byte: the same step definition and inputs (previousResult
// checks), the contents of one source dir (no wildcard, no --exclude, no
// .dockerignore re-includes), every changed entry of the same type at the same
// place, no entry added or removed, and nothing changed that the base also holds.
import { lstatSync, readdirSync, lutimesSync, type Stats } from 'node:fs';
import path from 'node:path';
import { type CopyAction, type FileAction } from '@pipekit/wire';
import { packEntry, reviseLayer, tarEntries, type LayerEntry, type Revision, type TarEntrySpan } from '@pipekit/cas-store';
import type { SolveContext, Vertex } from '../context.ts';
import type { LayersRef } from '../refs.ts';
import { layeredView } from '../view.ts';
import type { RootFs } from '../fs/user.ts';
import { copyDirMeta, replaceEntry, type CopyContext, type Owner } from '../fs/copy.ts';
import { ignoredIn } from '../fs/copy-filter.ts';
import { hasMeta } from '../fs/glob.ts';
import { resolveInContext } from '../fs/resolve.ts';
import { contextReads } from '../fs/read-cache.ts';
import { MARGIN_MS } from '../fs/context-memo.ts';
import { changesSince } from '../fs/changed-since.ts';
import { planDirs } from './direct-copy.ts';

/** past this share of changed entries a full copy costs about as much */
const MAX_CHANGED_SHARE = 0.25;
/** a changed file bigger than this is copied as usual */
const MAX_FILE_BYTES = 256 * 1024 * 1024;
/** entries re-copied at most, whatever the share */
const MAX_CHANGED = 50_000;

type Change = { src: string; st: Stats; rel: string };

const TAR_TYPE = { file: [0x30, 0], dir: [0x35], symlink: [0x32] };

function kindOf(st: Stats): 'file' | 'dir' | 'symlink' | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return undefined;
}

function sameNames(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const sb = [...b].sort();
  return [...a].sort().every((n, i) => n === sb[i]);
}

/**
 * The new layer on top of `base` for the single copy action `a` of `v`, made
 * from the step's previous layer; undefined when this case is not the plain one
 * (nothing was changed then, and the caller copies as usual).
 */
export async function patchPrevious(
  ctx: SolveContext, v: Vertex, a: FileAction, base: LayersRef, resolveOwner: (root: RootFs) => Promise<Owner>,
): Promise<LayerEntry | undefined> {
  const c = a.copy as CopyAction;
  const src = a.secondaryInput >= 0 ? v.inputs[a.secondaryInput] : undefined;
  if (src?.kind !== 'dir' || !c.dirCopyContents || (c.allowWildcard && hasMeta(c.src))) return undefined;
  if (c.excludePatterns.length || c.includePatterns.length || c.requiredPaths.length) return undefined;
  const prev = await v.previous?.();
  if (!prev?.readAt || !prev.blob || Date.now() < prev.readAt) return undefined;
  const srcAbs = await resolveInContext(src.dir, c.src, c.followSymlink).catch(() => undefined);
  // a .dockerignore leaves out what it matches with everything below it; re-includes (`!`) are not taken here
  const ignore = ignoredIn(src.dir);
  if (!srcAbs || ignore?.hasExclusions) return undefined;
  const kept = (abs: string) => !ignore || !ignore.matches(path.relative(src.dir, abs).split(path.sep).join('/'));
  const since = prev.readAt - MARGIN_MS;
  if (!lstatSync(srcAbs, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  const found = contextReads.changedUnder(srcAbs, since) ?? (await findChanged(srcAbs, since, kept));
  if (!found) return undefined;
  for (const abs of [...found.keys()]) if (!kept(abs)) found.delete(abs);
  const view = layeredView(ctx.store, base);
  const destParts = c.dest.split('/').filter((p) => p !== '' && p !== '.');
  if (destParts.includes('..') || !planDirs(view, c.dest)) return undefined;
  const destRel = destParts.join('/');

  // a changed dir may have been moved here, bringing entries whose ctimes did
  // not change: everything below it counts as changed (the source dir's own
  // change would be all of it, so then it is copied as usual)
  if (found.has(srcAbs)) return undefined;
  const changed = new Map(found);
  for (const [abs, st] of found) if (st.isDirectory() && !below(abs, changed, MAX_CHANGED, kept)) return undefined;
  if (changed.size > MAX_CHANGED) return undefined;
  const changes: Change[] = [];
  for (const [abs, st] of changed) {
    const rel = path.posix.join(destRel, path.relative(srcAbs, abs).split(path.sep).join('/'));
    changes.push({ src: abs, st, rel });
  }

  // everything that can rule this case out is checked before the snapshot is taken
  const tar = await ctx.store.blobs.read(prev.blob.digest).catch(() => undefined);
  if (!tar) return undefined;
  const entries = tarEntries(tar);
  if (changes.length > entries.size * MAX_CHANGED_SHARE) return undefined;
  for (const ch of changes) {
    const kind = kindOf(ch.st);
    // a changed file's entry is made in memory: a big one is streamed by the usual copy
    if (ch.st.size > MAX_FILE_BYTES) return undefined;
    const old = lstatSync(path.join(prev.snapshotDir, ch.rel), { throwIfNoEntry: false });
    if (!kind || !old || kindOf(old) !== kind) return undefined;
    const e = entries.get(ch.rel);
    if (!e || !TAR_TYPE[kind].includes(e.type)) return undefined;
    // a dir's entries: the same names (a copy leaves out nothing a plain dir holds)
    if (kind === 'dir' && !sameNames(readdirSync(ch.src).filter((n) => kept(path.join(ch.src, n))), readdirSync(path.join(prev.snapshotDir, ch.rel)))) return undefined;
    // the base's own entry could make a cold build leave this one out of its layer (dropUnchanged)
    if (view.lstat(ch.rel)) return undefined;
  }

  const copyCtx: CopyContext = { owner: await resolveOwner(view), fromLocal: true };
  return reviseLayer(ctx.store, prev.layer, async (dir, bytes) => {
    const files = changes.filter((ch) => !ch.st.isDirectory());
    const dirs = changes.filter((ch) => ch.st.isDirectory());
    // replacing a file changes its dir's times: those of dirs that did not change are put back
    const parents = new Map<string, Stats>();
    for (const ch of files) {
      const p = path.join(dir, path.posix.dirname(ch.rel));
      if (!parents.has(p)) parents.set(p, lstatSync(p));
    }
    let delta = 0;
    for (const ch of files) {
      const dst = path.join(dir, ch.rel);
      delta -= lstatSync(dst).size;
      await replaceEntry(ch.src, ch.st, dst, c, copyCtx);
    }
    for (const [p, st] of parents) lutimesSync(p, st.atimeMs / 1000, st.mtimeMs / 1000);
    for (const ch of dirs) copyDirMeta(ch.st, path.join(dir, ch.rel), c, copyCtx);
    const replaced = changes.map((ch) => {
      const abs = path.join(dir, ch.rel);
      const st = lstatSync(abs);
      if (!st.isDirectory()) delta += st.size;
      return { span: entries.get(ch.rel) as TarEntrySpan, bytes: packEntry(ch.rel, abs, st) };
    });
    return { tar: spliced(tar, replaced), bytes: bytes === undefined ? undefined : bytes + delta } satisfies Revision;
  });
}

/** Add everything below `dir` a copy takes to `into` with its stats; false past `max` entries. */
function below(dir: string, into: Map<string, Stats>, max: number, kept: (abs: string) => boolean): boolean {
  for (const name of readdirSync(dir)) {
    const abs = path.join(dir, name);
    if (!kept(abs)) continue;
    const st = lstatSync(abs);
    into.set(abs, st);
    if (into.size > max) return false;
    if (st.isDirectory() && !below(abs, into, max, kept)) return false;
  }
  return true;
}

/**
 * Entries at or below `dir` changed since `since`, asked of find when this
 * build's checksum did not see them (it came from a memo taken later than the
 * step's last build began reading).
 */
async function findChanged(dir: string, since: number, kept: (abs: string) => boolean): Promise<Map<string, Stats> | undefined> {
  const found = await changesSince(dir, since);
  if (!found) return undefined;
  const out = new Map<string, Stats>();
  for (const rel of found.entries.keys()) {
    const abs = rel ? path.join(dir, rel) : dir;
    if (!kept(abs)) continue;
    const st = lstatSync(abs, { throwIfNoEntry: false });
    // gone since find saw it: something is being removed; copy as usual
    if (!st) return undefined;
    out.set(abs, st);
  }
  return out;
}

/** `tar` with each given entry's bytes replaced. */
async function* spliced(tar: Buffer, replaced: { span: TarEntrySpan; bytes: Buffer }[]): AsyncGenerator<Uint8Array> {
  let pos = 0;
  for (const r of [...replaced].sort((x, y) => x.span.start - y.span.start)) {
    if (r.span.start > pos) yield tar.subarray(pos, r.span.start);
    yield r.bytes;
    pos = r.span.end;
  }
  yield tar.subarray(pos);
}
