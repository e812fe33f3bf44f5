// A layer revised from the one before it. A step that ran again because a few
// of the files it reads changed would otherwise make its whole snapshot anew
// (20,000 hard links for a big COPY) and pack every entry again. Instead it
// takes over the previous layer's snapshot, changes the few entries in place,
// and gives the new blob as the old tar with those entries' bytes replaced.
//
// The previous layer keeps its blob and cache records but loses its snapshot
// (as a pulled layer not yet unpacked): a build that needs it again misses and
// makes it back the same way. Taken only when no other live build uses the
// layer or its snapshot and this process does not either, under the GC lock
// that every cache hit takes to mark what it uses.
import { renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import process from 'node:process';
import type { LayerEntry } from './layer-index.ts';
import { MEDIA_LAYER_TAR, usableLayer } from './layers.ts';
import type { Store } from './store.ts';
import { withStoreLock } from './lock.ts';
import { currentLease, markInUse, readInUse } from './inuse.ts';
import { readJsonMaybe, writeFileAtomic } from './atomic.ts';

export type Revision = {
  /** the new layer's tar */
  tar: AsyncIterable<Uint8Array>;
  /** the tree's bytes as dirBytes counts them, when known */
  bytes?: number;
};

/**
 * Make a new layer from `prev` (a plain-tar layer built here): `revise` gets
 * its snapshot, now private to this call, changes it and returns the new tar.
 * Returns undefined, having changed nothing, when the snapshot cannot be taken
 * (in use, gone, or not a plain tar).
 */
export function reviseLayer(store: Store, prev: LayerEntry, revise: (dir: string, bytes: number | undefined) => Promise<Revision>): Promise<LayerEntry | undefined> {
  return withStoreLock(store.dir, 'gc', async () => {
    const from = prev.snapshot;
    if (!from || prev.blob.mediaType !== MEDIA_LAYER_TAR || !(await store.snapshots.exists(from))) return undefined;
    const lease = currentLease(store);
    if (lease?.has('layer', prev.diffID)) return undefined;
    const others = await readInUse(store.dir, lease?.file);
    if (others.ids.layer.has(prev.diffID) || others.ids.snapshot.has(from)) return undefined;
    const oldBytes = await readJsonMaybe<number>(`${store.snapshots.dir(from)}.size`);
    const tmpId = `tmp/${process.pid}-${randomBytes(6).toString('hex')}`;
    renameSync(store.snapshots.dir(from), store.snapshots.dir(tmpId));
    rmSync(`${store.snapshots.dir(from)}.size`, { force: true });
    await store.layers.put({ ...prev, snapshot: null, snapshotBytes: undefined });
    try {
      const rev = await revise(store.snapshots.dir(tmpId), typeof oldBytes === 'number' ? oldBytes : undefined);
      const blob = await store.blobs.put(rev.tar);
      await markInUse(store, 'layer', [blob.digest]);
      const snapshot = await store.snapshots.commit(tmpId);
      if (rev.bytes !== undefined) await writeFileAtomic(`${store.snapshots.dir(snapshot)}.size`, String(rev.bytes)).catch(() => undefined);
      await markInUse(store, 'snapshot', [snapshot]);
      const entry: LayerEntry = { diffID: blob.digest, size: blob.size, blob: { mediaType: MEDIA_LAYER_TAR, digest: blob.digest, size: blob.size }, snapshot };
      const kept = await store.layers.putIfAbsent(entry, (e) => usableLayer(store, e));
      if (kept !== entry) await store.snapshots.remove(snapshot);
      return kept;
    } catch (err) {
      await store.snapshots.remove(tmpId);
      throw err;
    }
  });
}
