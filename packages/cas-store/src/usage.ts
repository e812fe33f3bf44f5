// Disk usage as build-cache records, the way `buildx du` shows them: every
// layer (snapshot + blob + compressed copy) is one record described by the
// step that made it, every cache mount one `exec.cachemount` record, and what
// nothing references (half-finished work of a crash) is listed too.
// Metadata is read with sync calls: a scan is hundreds of tiny reads and stats,
// and a thread-pool round trip each cost several times the call.
import { closeSync, existsSync, openSync, promises as fs, readFileSync, readSync } from 'node:fs';
import { lstatMaybe } from '@pipekit/wire';
import path from 'node:path';
import type { Store } from './store.ts';
import type { CacheRecord } from './cache-index.ts';
import type { LayerEntry } from './layer-index.ts';
import { readInUse, type InUseSet } from './inuse.ts';
import { pidAlive } from './lock.ts';
import { readJsonMaybe, writeFileAtomic } from './atomic.ts';
import { changedAt, dirBytes } from './disk-usage.ts';
import { mappingDirs, mappingFiles } from './compressed-copies.ts';

export type UsageType = 'regular' | 'exec.cachemount' | 'source.local' | 'internal';
export type UsageTarget =
  | { kind: 'layer'; diffID: string; snapshot: string | null; blobs: string[]; files: string[] }
  | { kind: 'cachemount'; dir: string }
  | { kind: 'snapshot'; dir: string }
  | { kind: 'path'; path: string; /** removed with it */ also?: string[] }
  | { kind: 'blob'; digest: string };
export type UsageRecord = {
  id: string;
  type: UsageType;
  description: string;
  size: number;
  createdAt: number;
  lastUsedAt: number | null;
  usageCount: number;
  inUse: boolean;
  mutable: boolean;
  shared: boolean;
  parents: string[];
  /** position in its chain (0 = base); deeper records are removed first on ties */
  depth: number;
  target: UsageTarget;
};

const SLACK_MS = 2000;
const layerId = (diffID: string) => diffID.slice(7, 32);

function fileSize(p: string): number {
  return lstatMaybe(p)?.size ?? 0;
}

function readText(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

export async function collectUsage(store: Store, given?: InUseSet): Promise<UsageRecord[]> {
  const started = Date.now();
  const inuse = given ?? (await readInUse(store.dir));
  // anything that changed after the oldest running build (or this scan) started is in use
  const protectAfter = Math.min(inuse.oldestStart, started) - SLACK_MS;
  const fresh = (t: number | undefined) => t !== undefined && t >= protectAfter;
  const out: UsageRecord[] = [];

  const records: CacheRecord[] = [];
  for (const key of await store.cache.list()) {
    const r = await store.cache.get(key);
    if (r && Array.isArray(r.outputs)) records.push(r);
  }
  const containing = new Map<string, CacheRecord[]>();
  const topOf = new Map<string, CacheRecord>();
  const parentOf = new Map<string, string>();
  const depthOf = new Map<string, number>();
  for (const r of records) {
    for (const o of r.outputs) {
      o.layers.forEach((d, i) => {
        containing.set(d, [...(containing.get(d) ?? []), r]);
        if (i > 0) parentOf.set(d, o.layers[i - 1]);
        depthOf.set(d, Math.max(depthOf.get(d) ?? 0, i));
      });
      const top = o.layers[o.layers.length - 1];
      if (top && (!topOf.has(top) || (topOf.get(top) as CacheRecord).lastUsedAt < r.lastUsedAt)) topOf.set(top, r);
    }
  }

  const copyDirs = mappingDirs(store.dir);
  const referencedBlobs = new Set<string>();
  const referencedSnaps = new Set<string>();
  for (const diffID of await store.layers.list()) {
    const file = path.join(store.layers.root, `${diffID.slice(7)}.json`);
    const e = await readJsonMaybe<LayerEntry>(file);
    if (!e) continue;
    const blobs = [e.blob.digest];
    const files = [file];
    for (const m of mappingFiles(copyDirs, diffID)) {
      const mapping = await readJsonMaybe<{ digest: string }>(m);
      files.push(m);
      if (mapping?.digest) blobs.push(mapping.digest);
    }
    blobs.forEach((b) => referencedBlobs.add(b));
    const entryAt = changedAt(file) ?? started;
    let size = 0;
    for (const b of new Set(blobs)) size += fileSize(store.blobs.path(b));
    let snapChanged: number | undefined;
    if (e.snapshot && existsSync(store.snapshots.dir(e.snapshot))) {
      referencedSnaps.add(e.snapshot);
      snapChanged = changedAt(store.snapshots.dir(e.snapshot));
      e.snapshotBytes = await snapshotBytes(store.snapshots.dir(e.snapshot));
      size += e.snapshotBytes;
    }
    const recs = containing.get(diffID) ?? [];
    const top = topOf.get(diffID);
    const lastUsed = recs.length ? Math.max(...recs.map((r) => Date.parse(r.lastUsedAt) || 0)) : null;
    const inUse = inuse.ids.layer.has(diffID) || (e.snapshot !== null && inuse.ids.snapshot.has(e.snapshot)) ||
      recs.some((r) => inuse.ids.key.has(r.key)) || fresh(entryAt) || fresh(snapChanged);
    out.push({
      id: layerId(diffID),
      type: 'regular',
      description: top?.description || (recs[0] ? `layer of ${recs[0].description}` : `layer ${diffID.slice(0, 19)}`),
      size,
      createdAt: top ? Date.parse(top.createdAt) || entryAt : entryAt,
      lastUsedAt: lastUsed,
      usageCount: top?.usageCount ?? 0,
      inUse,
      mutable: false,
      shared: recs.length > 1,
      parents: parentOf.has(diffID) ? [layerId(parentOf.get(diffID) as string)] : [],
      depth: depthOf.get(diffID) ?? 0,
      target: { kind: 'layer', diffID, snapshot: e.snapshot, blobs: [...new Set(blobs)], files },
    });
  }

  for (const name of await fs.readdir(store.snapshots.root).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{10}$/.test(name) || referencedSnaps.has(name)) continue;
    const dir = store.snapshots.dir(name);
    const at = changedAt(dir) ?? started;
    out.push({
      id: name, type: 'regular', description: `unreferenced snapshot ${name}`, size: await dirBytes(dir), createdAt: at, lastUsedAt: null,
      usageCount: 0, inUse: inuse.ids.snapshot.has(name) || fresh(at), mutable: false, shared: false, parents: [], depth: 0, target: { kind: 'snapshot', dir },
    });
  }

  const mounts = path.join(store.dir, 'cachemounts');
  for (const name of await fs.readdir(mounts).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{16}$/.test(name)) continue;
    const dir = path.join(mounts, name);
    const meta = await readJsonMaybe<{ id?: string; createdAt?: string }>(`${dir}.json`);
    const lockPid = Number(readText(path.join(`${dir}.lock`, 'pid')));
    const at = changedAt(dir) ?? started;
    out.push({
      id: name, type: 'exec.cachemount', description: `cached mount ${meta?.id ?? name}`, size: await dirBytes(dir),
      createdAt: Date.parse(meta?.createdAt ?? '') || at, lastUsedAt: at, usageCount: 0,
      inUse: inuse.ids.cachemount.has(name) || pidAlive(lockPid) || fresh(at), mutable: true, shared: false, parents: [], depth: 0,
      target: { kind: 'cachemount', dir },
    });
  }

  // llb-solve's remembered context digests (one record per build context, as
  // BuildKit lists its local sources, with the checksums and walk records kept
  // beside them: <hash>.json, <hash>.sums.json, <hash>.rec-<key>.json) and its layer-path checksums
  const contexts = path.join(store.dir, 'contexts');
  const byContext = new Map<string, string[]>();
  for (const name of (await fs.readdir(contexts).catch(() => [] as string[])).sort()) {
    const m = /^([0-9a-f]{32})(\.json|\.sums\.json|\.rec-[0-9a-f]{32}\.json)$/.exec(name);
    if (m) byContext.set(m[1], [...(byContext.get(m[1]) ?? []), path.join(contexts, name)]);
  }
  for (const [hash, files] of byContext) {
    let size = 0;
    let at = 0;
    for (const f of files) {
      const st = lstatMaybe(f);
      size += st?.size ?? 0;
      at = Math.max(at, st?.mtimeMs ?? 0, st?.ctimeMs ?? 0);
    }
    const [main, ...also] = files;
    out.push({
      id: hash.slice(0, 25), type: 'source.local', description: `local source for context ${contextDirOf(main)}`, size, createdAt: at,
      lastUsedAt: at, usageCount: 0, inUse: fresh(at), mutable: true, shared: false, parents: [], depth: 0, target: { kind: 'path', path: main, also },
    });
  }
  const memos = path.join(store.dir, 'contenthash');
  const memoFiles = await fs.readdir(memos).catch(() => [] as string[]);
  if (memoFiles.length) {
    let size = 0;
    let at = 0;
    for (const name of memoFiles) {
      const st = lstatMaybe(path.join(memos, name));
      size += st?.size ?? 0;
      at = Math.max(at, st?.mtimeMs ?? 0);
    }
    out.push({
      id: 'contenthash', type: 'internal', description: `content checksums of ${memoFiles.length} layer paths`, size, createdAt: at, lastUsedAt: at,
      usageCount: 0, inUse: fresh(at), mutable: true, shared: false, parents: [], depth: 0, target: { kind: 'path', path: memos },
    });
  }

  for (const digest of await store.blobs.list()) {
    if (referencedBlobs.has(digest)) continue;
    const p = store.blobs.path(digest);
    const st = lstatMaybe(p);
    if (!st) continue;
    const kind = st.size < 4 << 20 ? jsonKind(readText(p)) : '';
    const at = Math.max(st.mtimeMs, st.ctimeMs);
    out.push({
      id: digest.slice(7, 32), type: kind ? 'internal' : 'regular', description: kind ? `${kind} ${digest.slice(0, 19)}` : `unreferenced blob ${digest.slice(0, 19)}`,
      size: st.size, createdAt: at, lastUsedAt: null, usageCount: 0, inUse: fresh(at), mutable: false, shared: false, parents: [], depth: 0,
      target: { kind: 'blob', digest },
    });
  }
  return out;
}

/**
 * Bytes of a committed snapshot, measured once and kept beside it in
 * snapshots/<id>.size (a committed snapshot never changes).
 */
export async function snapshotBytes(dir: string): Promise<number> {
  const text = readText(`${dir}.size`);
  const cached = Number(text);
  if (cached > 0 || (cached === 0 && text !== '')) return cached;
  const bytes = await dirBytes(dir);
  await writeFileAtomic(`${dir}.size`, String(bytes)).catch(() => undefined);
  return bytes;
}

/** The context directory an index file describes (its JSON starts with it; the rest can be megabytes). */
function contextDirOf(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '?';
  }
  try {
    const buffer = Buffer.alloc(8192);
    const bytesRead = readSync(fd, buffer, 0, 8192, 0);
    const m = /"dir":("(?:[^"\\]|\\.)*")/.exec(buffer.subarray(0, bytesRead).toString('utf8'));
    return m ? (JSON.parse(m[1]) as string) : '?';
  } finally {
    closeSync(fd);
  }
}

/** What a small JSON blob is (image manifest, config, index, cache config), '' when not JSON. */
function jsonKind(text: string): string {
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    if (Array.isArray(doc.manifests)) return 'image index';
    if (doc.config && Array.isArray(doc.layers)) return 'image manifest';
    if (doc.rootfs || doc.architecture) return 'image config';
    if (Array.isArray(doc.records)) return 'cache config';
    return 'metadata';
  } catch {
    return '';
  }
}
