// Cache records hold diff ids; a hit is only real if each layer is still
// unpacked and its blob present (GC or a crash may have removed either).
// The check runs under the store's GC lock after marking the record in use,
// so a concurrent prune either sees the mark or has already removed the layers
// (then this is a miss). A key with no local record is looked up in imported
// caches (--cache-from) before it counts as a miss.
import { acquireStoreLock, markInUse, withStoreLock, type CacheRecord, type LayerEntry, type Store } from '@pipekit/cas-store';
import type { Ref } from './refs.ts';
import { importCached } from './cache-io/importer.ts';

// Layers this process found whole and marked in use: its lease keeps GC off
// them until it exits, so the next record naming them (every later step of the
// image) need not read their entries and look for their files again.
const verified = new WeakMap<Store, Map<string, LayerEntry>>();

// Hits whose records get their use time and count written once the results
// are out: a record rewrite (temp file, rename) is ~0.4 ms, on every hit of a
// cached build's critical path. The key stays marked in use until then, so GC
// cannot remove the record in between.
const untouched = new WeakMap<Store, CacheRecord[]>();

/** Write the use of each record hit since the last call. */
export async function touchHits(store: Store): Promise<void> {
  const recs = untouched.get(store) ?? [];
  untouched.delete(store);
  for (const rec of recs) await store.cache.touch(rec);
}

async function checkedLayer(store: Store, diffID: string, known: Map<string, LayerEntry>): Promise<LayerEntry | undefined> {
  const k = known.get(diffID);
  if (k) return k;
  const l = await store.layers.get(diffID);
  if (!l?.snapshot || !(await store.snapshots.exists(l.snapshot)) || !(await store.blobs.has(l.blob.digest))) return undefined;
  return l;
}

async function loadLocal(store: Store, key: string): Promise<Ref[] | undefined> {
  // no record is a miss without the lock: GC only removes records, and one
  // another build writes a moment later is what claimStep waits for
  if (!store.cache.has(key)) return undefined;
  let known = verified.get(store);
  if (!known) verified.set(store, (known = new Map()));
  return withStoreLock(store.dir, 'gc', async () => {
    const rec = await store.cache.get(key);
    if (!rec) return undefined;
    await markInUse(store, 'key', [key]);
    await markInUse(store, 'layer', rec.outputs.flatMap((o) => o.layers));
    const outputs: Ref[] = [];
    for (const out of rec.outputs) {
      const layers: LayerEntry[] = [];
      for (const diffID of out.layers) {
        const l = await checkedLayer(store, diffID, known);
        if (!l) return undefined;
        layers.push(l);
      }
      await markInUse(store, 'snapshot', layers.map((l) => l.snapshot as string));
      for (const l of layers) known.set(l.diffID, l);
      outputs.push({ kind: 'layers', layers });
    }
    let hits = untouched.get(store);
    if (!hits) untouched.set(store, (hits = []));
    hits.push(rec);
    return outputs;
  });
}

export async function loadCached(store: Store, key: string): Promise<Ref[] | undefined> {
  const local = await loadLocal(store, key);
  if (local || !(await importCached(store, key))) return local;
  return loadLocal(store, key);
}

export async function storeCached(store: Store, key: string, outputs: Ref[], description: string): Promise<void> {
  if (outputs.some((o) => o.kind !== 'layers')) return;
  await markInUse(store, 'key', [key]);
  await store.cache.put(key, outputs.map((o) => ({ layers: o.kind === 'layers' ? o.layers.map((l) => l.diffID) : [] })), description);
}

/**
 * A step about to run takes a lock on its cache key, so the same step in
 * concurrent builds (other llb-solve processes on this store) runs once: the
 * others wait, then find its record. Returns the late hit, if any, and the
 * release (a no-op when nothing was locked).
 */
export async function claimStep(store: Store, key: string, signal: AbortSignal): Promise<{ hit?: Ref[]; release: () => Promise<void> }> {
  const release = await acquireStoreLock(store.dir, `step-${key.replace(/^sha256:/, '').slice(0, 32)}`, signal);
  try {
    const hit = await loadLocal(store, key);
    if (hit) await release();
    return { hit, release: hit ? async () => {} : release };
  } catch (err) {
    await release();
    throw err;
  }
}
