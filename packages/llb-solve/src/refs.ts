// What an op output is while solving: a chain of stored layers, or (for a local
// source) a directory on this machine.
import { commitSnapshotEarly, type KnownFiles, type LayerEntry, type Store } from '@pipekit/cas-store';

export type LayersRef = { kind: 'layers'; layers: LayerEntry[] };
export type DirRef = { kind: 'dir'; dir: string; exclude: string[] };
export type Ref = LayersRef | DirRef;

export const EMPTY: LayersRef = { kind: 'layers', layers: [] };

// Layers whose snapshot is usable while their blob is not packed yet (see
// pendingLayer): their digests are filled in when the packing settles.
type Pending = { settled: Promise<void>; start: () => void };
const pending = new WeakMap<LayerEntry, Pending>();
const unstarted = new Set<Pending>();
// snapshots whose layer the index already held under another one: left while
// the build may read them, removed by dropDuplicates() once it is over
const duplicates = new WeakMap<Store, Set<string>>();

/**
 * How long a layer waits before it is packed unless its digests are wanted
 * sooner: the steps that start on its files take ~5-15 ms from its step's end
 * to their container's start, most of it on this thread, which packing (a
 * synchronous walk between turns of the event loop) would share.
 */
const PACK_AFTER_MS = 20;

/**
 * A layer whose files are in `snapshot` now and whose digests come from
 * `pack()`, called PACK_AFTER_MS later or when layersSettled() needs them.
 * Until it has settled, only its snapshot may be read.
 */
export function pendingLayer(snapshot: string, pack: () => Promise<LayerEntry>, onDuplicate: () => void = () => undefined): LayerEntry {
  const entry: LayerEntry = { diffID: '', size: 0, blob: { mediaType: '', digest: '', size: 0 }, snapshot };
  let go!: () => void;
  const started = new Promise<void>((resolve) => (go = resolve));
  const p: Pending = {
    // the index may hold the same layer under another snapshot: either has the same files
    settled: started.then(pack).then((e) => {
      if (e.snapshot !== snapshot) onDuplicate();
      Object.assign(entry, e);
    }),
    start: () => {
      clearTimeout(timer);
      unstarted.delete(p);
      go();
    },
  };
  const timer = setTimeout(p.start, PACK_AFTER_MS);
  p.settled.catch(() => undefined);
  unstarted.add(p);
  pending.set(entry, p);
  return entry;
}

/**
 * Resolves once every layer of `refs` has its digests (rejects if packing one
 * failed). `now` starts their packing at once; a waiter that is in no hurry
 * (a record written in the background) leaves it to the timer.
 */
export async function layersSettled(refs: Ref[], now = true): Promise<void> {
  const waits = refs.flatMap((r) => (r.kind === 'layers' ? r.layers.flatMap((l) => pending.get(l) ?? []) : []));
  if (now) for (const p of waits) p.start();
  for (const p of waits) await p.settled;
}

/** Start packing every pending layer now (the build is over: nothing else wants the thread). */
export function packPendingNow(): void {
  for (const p of [...unstarted]) p.start();
}

/**
 * A step's prepared snapshot as its new layer: final now, for the steps after
 * it to read, with its digests once packed (see pendingLayer).
 */
export async function commitLayer(store: Store, tmpId: string, known?: KnownFiles): Promise<LayerEntry> {
  const c = await commitSnapshotEarly(store, tmpId, known);
  if ('layer' in c) return c.layer;
  return pendingLayer(c.snapshot, c.pack, () => {
    let set = duplicates.get(store);
    if (!set) duplicates.set(store, (set = new Set()));
    set.add(c.snapshot);
  });
}

/** Remove the snapshots of layers that were in the store already (see commitLayer): for after a build, when nothing reads them. */
export async function dropDuplicates(store: Store): Promise<void> {
  const set = duplicates.get(store);
  duplicates.delete(store);
  for (const id of set ?? []) await store.snapshots.remove(id);
}
