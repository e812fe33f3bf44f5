// What an op output is while solving: a chain of stored layers, or (for a local
// source) a directory on this machine.
import { commitSnapshotEarly, type KnownFiles, type LayerEntry, type Store } from '@pipekit/cas-store';

export type LayersRef = { kind: 'layers'; layers: LayerEntry[] };
export type DirRef = { kind: 'dir'; dir: string; exclude: string[] };
export type Ref = LayersRef | DirRef;

export const EMPTY: LayersRef = { kind: 'layers', layers: [] };

// Layers whose snapshot is usable while their blob is still being packed (see
// pendingLayer): their digests are filled in when the packing settles.
const pending = new WeakMap<LayerEntry, Promise<void>>();

/**
 * A layer whose files are in `snapshot` now and whose digests come with
 * `packed`. Until layersSettled() says so, only its snapshot may be read: a
 * RUN on top of it can start while it is packed.
 */
export function pendingLayer(snapshot: string, packed: Promise<LayerEntry>): LayerEntry {
  const entry: LayerEntry = { diffID: '', size: 0, blob: { mediaType: '', digest: '', size: 0 }, snapshot };
  // the index may hold the same layer under another snapshot: either has the same files
  const settled = packed.then((e) => void Object.assign(entry, e));
  settled.catch(() => undefined);
  pending.set(entry, settled);
  return entry;
}

/** Resolves once every layer of `refs` has its digests (rejects if packing one failed). */
export async function layersSettled(refs: Ref[]): Promise<void> {
  for (const r of refs) {
    if (r.kind !== 'layers') continue;
    for (const l of r.layers) await pending.get(l);
  }
}

/**
 * A step's prepared snapshot as its new layer: final now, for the steps after
 * it to read, with its digests once packed (see pendingLayer).
 */
export async function commitLayer(store: Store, tmpId: string, known?: KnownFiles): Promise<LayerEntry> {
  const { snapshot, layer } = await commitSnapshotEarly(store, tmpId, known);
  return layer instanceof Promise ? pendingLayer(snapshot, layer) : layer;
}
