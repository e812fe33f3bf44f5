// Moving layers between their two forms: a snapshot dir (to mount) and a tar
// blob (to export). Both are recorded in the layer index under the diff id.
import { readdirSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { IntegrityError, PipekitError, type Descriptor } from '@pipekit/wire';
import type { LayerEntry } from './layer-index.ts';
import { packLayer, type KnownFiles } from './layer-pack.ts';
import { unpackLayer } from './layer-unpack.ts';
import { short } from './blobs.ts';
import type { Store } from './store.ts';
import { withStoreLock } from './lock.ts';
import { markInUse } from './inuse.ts';
import { writeFileAtomic } from './atomic.ts';

export const MEDIA_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
/** the diff id of a layer with no entries: a tar of just its two zero end blocks */
export const EMPTY_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const GZIP_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
]);
const TAR_TYPES = new Set([MEDIA_LAYER_TAR, 'application/vnd.docker.image.rootfs.diff.tar']);

/**
 * Commit a prepared snapshot under its final id and pack it into a layer blob
 * (commitSnapshotEarly, then its pack()). Each half runs under the store's GC
 * lock: the same content may be a blob a prune has just decided to delete, and
 * a prune holds that lock from decision to deletion.
 */
export async function commitSnapshot(store: Store, tmpId: string, known?: KnownFiles): Promise<LayerEntry> {
  const c = await commitSnapshotEarly(store, tmpId, known);
  if ('layer' in c) return c.layer;
  const kept = await c.pack();
  // identical layer already unpacked (maybe by another build right now): keep
  // one copy; nothing else has seen this one
  if (kept.snapshot !== c.snapshot) await store.snapshots.remove(c.snapshot);
  return kept;
}

/**
 * commitSnapshot in two halves, for a step whose next steps need only its
 * files: the snapshot gets its final name (marked in use) at once, and
 * `pack()` packs and indexes it when called (once; meanwhile the snapshot is
 * only read). When the layer turns out to be indexed already, pack() gives
 * the index's entry and leaves this snapshot for the caller to remove once
 * nothing reads it (else GC takes it).
 * An empty snapshot is the empty layer at once (`layer`).
 */
export async function commitSnapshotEarly(
  store: Store, tmpId: string, known?: KnownFiles,
): Promise<{ snapshot: string; layer: LayerEntry } | { snapshot: string; pack: () => Promise<LayerEntry> }> {
  const early = await withStoreLock(store.dir, 'gc', async () => {
    const empty = await reuseEmptyLayer(store, tmpId);
    if (empty) return { snapshot: empty.snapshot as string, layer: empty };
    const snapshot = await store.snapshots.commit(tmpId);
    await markInUse(store, 'snapshot', [snapshot]);
    return { snapshot };
  });
  if (early.layer) return { snapshot: early.snapshot, layer: early.layer };
  const { snapshot } = early;
  let packed: Promise<LayerEntry> | undefined;
  const pack = () =>
    (packed ??= withStoreLock(store.dir, 'gc', async () => {
      const measured: { bytes: number; entries?: number } = { bytes: -1 };
      const blob = await store.blobs.put(packLayer(store.snapshots.dir(snapshot), { measured, known }));
      await markInUse(store, 'layer', [blob.digest]);
      return indexLayer(store, blob, snapshot, measured);
    }));
  return { snapshot, pack };
}

/** Nothing changed (a RUN that only printed, say): the empty layer, when it is already whole, without packing, hashing and storing it again. */
async function reuseEmptyLayer(store: Store, tmpId: string): Promise<LayerEntry | undefined> {
  if (readdirSync(store.snapshots.dir(tmpId)).length !== 0) return undefined;
  const empty = await store.layers.get(EMPTY_DIFF_ID);
  if (!empty || !(await usableLayer(store, empty))) return undefined;
  await markInUse(store, 'layer', [empty.blob.digest]);
  await markInUse(store, 'snapshot', [empty.snapshot as string]);
  store.snapshots.removeSync(tmpId);
  return empty;
}

/** Record a packed snapshot in the layer index; returns the entry the index holds (another snapshot's when the layer was there). */
async function indexLayer(store: Store, blob: { digest: string; size: number }, snapshot: string, measured: { bytes: number }): Promise<LayerEntry> {
  // the size GC and du report, measured by the walk that just packed it
  if (measured.bytes >= 0) await writeFileAtomic(`${store.snapshots.dir(snapshot)}.size`, String(measured.bytes)).catch(() => undefined);
  const entry: LayerEntry = {
    diffID: blob.digest,
    size: blob.size,
    blob: { mediaType: MEDIA_LAYER_TAR, digest: blob.digest, size: blob.size },
    snapshot,
  };
  return store.layers.putIfAbsent(entry, (e) => usableLayer(store, e));
}

/** An index entry whose snapshot and blob are both present. */
export async function usableLayer(store: Store, e: LayerEntry): Promise<boolean> {
  return Boolean(e.snapshot) && (await store.snapshots.exists(e.snapshot as string)) && (await store.blobs.has(e.blob.digest));
}

/** Make sure a layer (from a pulled blob) is unpacked into a snapshot; verifies its diff id. Under the GC lock, as commitSnapshot. */
export function ensureSnapshot(store: Store, desc: Descriptor, diffID: string): Promise<LayerEntry> {
  return withStoreLock(store.dir, 'gc', () => ensureUnlocked(store, desc, diffID));
}

async function ensureUnlocked(store: Store, desc: Descriptor, diffID: string): Promise<LayerEntry> {
  await markInUse(store, 'layer', [diffID]);
  const known = await store.layers.get(diffID);
  if (known?.snapshot && (await store.snapshots.exists(known.snapshot))) return known;
  let tar: AsyncIterable<Uint8Array> = store.blobs.open(desc.digest);
  if (GZIP_TYPES.has(desc.mediaType)) tar = Readable.from(tar).pipe(createGunzip());
  else if (!TAR_TYPES.has(desc.mediaType)) {
    throw new PipekitError(`layer ${short(desc.digest)} has unsupported media type ${desc.mediaType}`);
  }
  const hash = createHash('sha256');
  let size = 0;
  const hashed = async function* () {
    for await (const c of tar) {
      hash.update(c);
      size += c.length;
      yield c;
    }
  };
  const tmp = await store.snapshots.prepare();
  try {
    await unpackLayer(hashed(), tmp.dir, { label: short(desc.digest) });
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== diffID) throw new IntegrityError(`layer ${short(desc.digest)}: uncompressed content ${short(got)} does not match diff id ${short(diffID)}`);
    const snapshot = await store.snapshots.commit(tmp.id);
    await markInUse(store, 'snapshot', [snapshot]);
    const entry: LayerEntry = { diffID, size, blob: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size }, snapshot, ...(known?.sources ? { sources: known.sources } : {}) };
    const kept = await store.layers.putIfAbsent(entry, (e) => usableLayer(store, e));
    if (kept !== entry) await store.snapshots.remove(snapshot);
    return kept;
  } catch (err) {
    await store.snapshots.remove(tmp.id);
    throw err;
  }
}
