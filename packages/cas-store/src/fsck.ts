// fsck: verify every blob's digest and every reference (layer index -> blobs and
// snapshots, cache records -> layers, compressed copies -> blobs), and report
// what a crash left behind. --repair drops what is broken (a broken layer takes
// the cache records through it along) and removes leftovers; nothing a running
// build uses is touched.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Store } from './store.ts';
import type { LayerEntry } from './layer-index.ts';
import type { CacheRecord } from './cache-index.ts';
import { readInUse } from './inuse.ts';
import { withStoreLock, pidAlive, pidInName } from './lock.ts';
import { findLeftovers, removeLeftovers } from './janitor.ts';
import { collectUsage } from './usage.ts';
import { mappingDirs } from './compressed-copies.ts';

export type FsckProblem = {
  /** error: broken data or reference; garbage: harmless leftovers that only take space */
  severity: 'error' | 'garbage';
  what: string;
  message: string;
  repaired: boolean;
};
export type FsckReport = { problems: FsckProblem[]; checked: { blobs: number; layers: number; cacheRecords: number } };

async function hashFile(p: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(p)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

async function readJson<T>(file: string): Promise<T | 'bad' | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return 'bad';
  }
}

export async function fsck(store: Store, opts: { repair?: boolean } = {}): Promise<FsckReport> {
  // checking only reads (builds go on); repairing deletes, so it excludes GC and cache lookups
  return opts.repair ? withStoreLock(store.dir, 'gc', () => check(store, true)) : check(store, false);
}

async function check(store: Store, repair: boolean): Promise<FsckReport> {
  const problems: FsckProblem[] = [];
  const inuse = await readInUse(store.dir);
  const report = async (severity: FsckProblem['severity'], what: string, message: string, fix?: () => Promise<unknown>) => {
    let repaired = false;
    if (repair && fix) {
      await fix();
      repaired = true;
    }
    problems.push({ severity, what, message, repaired });
  };

  // 1. blobs: names and content
  const blobNames = await fs.readdir(store.blobs.root).catch(() => [] as string[]);
  const blobs = new Set<string>();
  for (const name of blobNames) {
    const p = path.join(store.blobs.root, name);
    if (!/^[0-9a-f]{64}$/.test(name)) {
      await report('garbage', `blobs/sha256/${name}`, 'not a blob name', () => fs.rm(p, { recursive: true, force: true }));
      continue;
    }
    const digest = `sha256:${name}`;
    const got = await hashFile(p).catch((err) => `unreadable (${(err as Error).message})`);
    if (got !== digest) await report('error', digest, `blob is corrupt: content hashes to ${got}`, () => fs.rm(p, { force: true }));
    else blobs.add(digest);
  }

  // 2. layer index -> blob, snapshot
  const layers = new Map<string, LayerEntry>();
  const dropLayer = async (diffID: string, snapshot: string | null | undefined) => {
    await store.layers.delete(diffID);
    if (snapshot && !inuse.ids.snapshot.has(snapshot)) await store.snapshots.remove(snapshot);
  };
  const layerNames = await fs.readdir(store.layers.root).catch(() => [] as string[]);
  for (const name of layerNames) {
    const file = path.join(store.layers.root, name);
    const tmpPid = /\.tmp-(\d+)-/.exec(name)?.[1];
    if (tmpPid) {
      if (!pidAlive(Number(tmpPid))) await report('garbage', `layers/by-diffid/${name}`, 'half-written index entry', () => fs.rm(file, { force: true }));
      continue;
    }
    const diffID = `sha256:${name.replace(/\.json$/, '')}`;
    const e = await readJson<LayerEntry>(file);
    if (e === 'bad' || !e || e.diffID !== diffID || !e.blob?.digest) {
      await report('error', `layer ${diffID}`, 'index entry is unreadable', () => fs.rm(file, { force: true }));
      continue;
    }
    if (!blobs.has(e.blob.digest)) {
      await report('error', `layer ${diffID}`, `its blob ${e.blob.digest} is missing or corrupt`, () => dropLayer(diffID, e.snapshot));
      continue;
    }
    if (e.snapshot && !(await store.snapshots.exists(e.snapshot))) {
      await report('error', `layer ${diffID}`, `its snapshot ${e.snapshot} is missing`, () => dropLayer(diffID, null));
      continue;
    }
    layers.set(diffID, e);
  }

  // 3. compressed copies (export-oci) -> blobs; a bad one only costs compressing again
  for (const dir of mappingDirs(store.dir)) {
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const file = path.join(dir, name);
      if (/\.tmp-/.test(name)) continue;
      const m = await readJson<{ digest?: string }>(file);
      if (m === 'bad' || !m?.digest || !blobs.has(m.digest)) {
        await report('garbage', path.relative(store.dir, file), 'compressed copy is unreadable or its blob is gone', () => fs.rm(file, { force: true }));
      }
    }
  }

  // 4. cache records -> layers
  let cacheRecords = 0;
  for (const name of await fs.readdir(store.cache.root).catch(() => [] as string[])) {
    const file = path.join(store.cache.root, name);
    const tmpPid = /\.tmp-(\d+)-/.exec(name)?.[1];
    if (tmpPid) {
      if (!pidAlive(Number(tmpPid))) await report('garbage', `cache/${name}`, 'half-written cache record', () => fs.rm(file, { force: true }));
      continue;
    }
    cacheRecords++;
    const rec = await readJson<CacheRecord>(file);
    if (rec === 'bad' || !rec || !Array.isArray(rec.outputs)) {
      await report('error', `cache/${name}`, 'cache record is unreadable', () => fs.rm(file, { force: true }));
      continue;
    }
    const missing = rec.outputs.flatMap((o) => o.layers).find((d) => !layers.has(d));
    if (missing) await report('error', `cache record ${rec.key}`, `it names layer ${missing}, which is not usable`, () => fs.rm(file, { force: true }));
  }

  // 5. leftovers of dead processes, unreferenced snapshots and blobs
  for (const l of await findLeftovers(store.dir, { noPidToo: inuse.builds === 0 })) {
    await report('garbage', path.relative(store.dir, l.path), l.why, () => removeLeftovers([l]));
  }
  for (const dir of [store.layers.root, store.cache.root, path.join(store.dir, 'cachemounts')]) {
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const pid = pidInName(name.replace(/^.*\.tmp-/, ''));
      if (dir.endsWith('cachemounts') && /\.tmp-/.test(name) && pid !== undefined && !pidAlive(pid)) {
        await report('garbage', path.relative(store.dir, path.join(dir, name)), 'half-written file', () => fs.rm(path.join(dir, name), { force: true }));
      }
    }
  }
  if (repair) {
    // re-read after the repairs above so dropped layers show up as unreferenced now
    for (const r of await collectUsage(store, inuse)) {
      if (r.inUse || (r.target.kind !== 'snapshot' && !(r.target.kind === 'blob' && r.type === 'regular'))) continue;
      await report('garbage', r.description, 'nothing references it', () => (r.target.kind === 'snapshot' ? fs.rm(r.target.dir, { recursive: true, force: true }) : store.blobs.delete((r.target as { digest: string }).digest)));
    }
  } else {
    for (const r of await collectUsage(store, inuse)) {
      if (!r.inUse && (r.target.kind === 'snapshot' || (r.target.kind === 'blob' && r.type === 'regular'))) await report('garbage', r.description, 'nothing references it');
    }
  }
  return { problems, checked: { blobs: blobNames.length, layers: layerNames.length, cacheRecords } };
}
