// What a build's cache export holds: the records this build used or wrote (the
// keys its in-use lease marked), every one for mode=max, for mode=min only
// those whose layer chains lead to a result (BuildKit: "only the layers of the
// exported result"). And the cache mounts its RUN steps name.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { Graph } from '@pipekit/wire';
import type { LayerEntry, Store } from '@pipekit/cas-store';
import type { ExportRecord } from './config.ts';

const isPrefix = (chain: string[], of: string[]) => chain.length <= of.length && chain.every((d, i) => of[i] === d);

export async function collectRecords(store: Store, keys: string[], mode: 'min' | 'max', resultChains: string[][]): Promise<ExportRecord[]> {
  const out: ExportRecord[] = [];
  for (const key of new Set(keys)) {
    const rec = await store.cache.get(key);
    if (!rec) continue;
    if (mode === 'min' && !rec.outputs.every((o) => resultChains.some((r) => isPrefix(o.layers, r)))) continue;
    const outputs: LayerEntry[][] = [];
    let complete = true;
    for (const o of rec.outputs) {
      const chain: LayerEntry[] = [];
      for (const d of o.layers) {
        const l = await store.layers.get(d);
        if (!l || !(await store.blobs.has(l.blob.digest))) complete = false;
        else chain.push(l);
      }
      outputs.push(chain);
    }
    if (complete) out.push({ key, description: rec.description, createdAt: rec.createdAt, outputs });
  }
  return out;
}

/** The store directory key of a cache mount id (as RUN --mount=type=cache names it). */
export function cacheMountKey(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 16);
}

/** Cache mount ids the graph's RUN steps use, with their store directories. */
export function graphCacheMounts(store: Store, graph: Graph): { id: string; key: string; dir: string }[] {
  const ids = new Set<string>();
  for (const rec of graph.ops.values()) {
    for (const m of rec.op.exec?.mounts ?? []) if (m.type === 'cache') ids.add(m.cache?.id || m.dest);
  }
  return [...ids].map((id) => ({ id, key: cacheMountKey(id), dir: path.join(store.dir, 'cachemounts', cacheMountKey(id)) }));
}

export async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}
