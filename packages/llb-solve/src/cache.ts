// Cache records hold diff ids; a hit is only real if each layer is still
// unpacked and its blob present (GC or a crash may have removed either).
import type { LayerEntry, Store } from '@pipekit/cas-store';
import type { Ref } from './refs.ts';

export async function loadCached(store: Store, key: string): Promise<Ref[] | undefined> {
  const rec = await store.cache.get(key);
  if (!rec) return undefined;
  const outputs: Ref[] = [];
  for (const out of rec.outputs) {
    const layers: LayerEntry[] = [];
    for (const diffID of out.layers) {
      const l = await store.layers.get(diffID);
      if (!l?.snapshot || !(await store.snapshots.exists(l.snapshot)) || !(await store.blobs.has(l.blob.digest))) return undefined;
      layers.push(l);
    }
    outputs.push({ kind: 'layers', layers });
  }
  await store.cache.touch(rec);
  return outputs;
}

export async function storeCached(store: Store, key: string, outputs: Ref[], description: string): Promise<void> {
  if (outputs.some((o) => o.kind !== 'layers')) return;
  await store.cache.put(key, outputs.map((o) => ({ layers: o.kind === 'layers' ? o.layers.map((l) => l.diffID) : [] })), description);
}
