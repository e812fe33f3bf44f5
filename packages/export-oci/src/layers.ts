// Layer blobs as they go into the image: uncompressed tars are gzipped once and
// the result is kept in the store, with a small mapping file
// layers/gzip/<diffID hex>.json = {digest,size}, so later exports of the same
// layer copy the stored blob instead of compressing again. Compressed bytes can
// differ between zlib builds (Node vs Deno), so reusing the first result is also
// what keeps one store's exports stable.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import { BlobStore, short } from '@pipekit/cas-store';
import { IntegrityError, WireFormatError, isDigest, type Descriptor, type Layer } from '@pipekit/wire';

export const MEDIA_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const MEDIA_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const MEDIA_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';

const TAR_TYPES = new Set([MEDIA_LAYER_TAR, 'application/vnd.docker.image.rootfs.diff.tar']);
// Docker's gzip type is the same bytes; the OCI name is used because the exported
// manifest is an OCI manifest (BuildKit's oci-mediatypes default).
const GZIP_TYPES = new Set([MEDIA_LAYER_GZIP, 'application/vnd.docker.image.rootfs.diff.tar.gzip']);
const KEEP_TYPES = new Set([MEDIA_LAYER_ZSTD, 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip']);

export type LayerOptions = {
  storeDir: string;
  /** reuse an open BlobStore (default: one over storeDir) */
  blobs?: BlobStore;
  /** gzip level, default 6 (zlib's and Go's default, as BuildKit uses) */
  level?: number;
};

/** How the layer's blob was obtained: compressed now, taken from an earlier export, or stored compressed already. */
export type LayerSource = 'compressed' | 'reused' | 'as-is';
export type ExportedLayer = { desc: Descriptor; diffID: string; source: LayerSource };

type Mapping = { digest: string; size: number };

/** Where the gzip mapping of an uncompressed layer lives. */
export function gzipMappingPath(storeDir: string, diffID: string): string {
  return path.join(storeDir, 'layers', 'gzip', `${diffID.replace(/^sha256:/, '')}.json`);
}

/** The (compressed) descriptor a manifest lists for `layer`; compresses and stores it if needed. */
export async function exportLayer(layer: Layer, opts: LayerOptions): Promise<ExportedLayer> {
  const blobs = opts.blobs ?? new BlobStore(opts.storeDir);
  const { blob, diffID } = layer;
  if (!isDigest(diffID)) throw new WireFormatError(`layer diffID ${JSON.stringify(diffID)} is not a sha256 digest`);
  if (!blob || !isDigest(blob.digest)) throw new WireFormatError(`layer ${short(diffID)}: blob digest missing or malformed`);

  if (GZIP_TYPES.has(blob.mediaType) || KEEP_TYPES.has(blob.mediaType)) {
    await checkStored(blobs, blob.digest, blob.size);
    const mediaType = GZIP_TYPES.has(blob.mediaType) ? MEDIA_LAYER_GZIP : blob.mediaType;
    return { desc: { mediaType, digest: blob.digest, size: blob.size }, diffID, source: 'as-is' };
  }
  if (!TAR_TYPES.has(blob.mediaType)) {
    throw new WireFormatError(`layer ${short(diffID)} has unsupported media type ${JSON.stringify(blob.mediaType)}`);
  }
  // an uncompressed blob *is* the layer tar, so its digest must be the diff id
  if (blob.digest !== diffID) {
    throw new WireFormatError(`layer ${short(diffID)}: uncompressed blob ${short(blob.digest)} does not match its diffID`);
  }

  const mapFile = gzipMappingPath(opts.storeDir, diffID);
  const mapped = await readMapping(mapFile);
  if (mapped && (await sizeOf(blobs, mapped.digest)) === mapped.size) {
    return { desc: { mediaType: MEDIA_LAYER_GZIP, digest: mapped.digest, size: mapped.size }, diffID, source: 'reused' };
  }

  await checkStored(blobs, blob.digest, blob.size);
  // blobs.open verifies the source digest at its end, so a corrupt layer fails
  // the put (which then stores nothing) instead of yielding a bad gzip blob.
  const gz = pipeline(Readable.from(blobs.open(blob.digest)), createGzip({ level: opts.level ?? 6 }), () => {});
  const stored = await blobs.put(gz as AsyncIterable<Uint8Array>);
  await writeMapping(mapFile, { digest: stored.digest, size: stored.size });
  return { desc: { mediaType: MEDIA_LAYER_GZIP, digest: stored.digest, size: stored.size }, diffID, source: 'compressed' };
}

async function sizeOf(blobs: BlobStore, digest: string): Promise<number | undefined> {
  return blobs.size(digest).catch(() => undefined);
}

/** Missing → NotFoundError (from the store); wrong size → IntegrityError. */
async function checkStored(blobs: BlobStore, digest: string, size: number): Promise<void> {
  const got = await blobs.size(digest);
  if (got !== size) throw new IntegrityError(`blob ${short(digest)} is corrupt: expected ${size} bytes, store has ${got}`);
}

async function readMapping(file: string): Promise<Mapping | undefined> {
  try {
    const m = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<Mapping>;
    // a damaged mapping only costs a recompression, so it is ignored, not fatal
    if (isDigest(m.digest) && Number.isSafeInteger(m.size) && (m.size as number) >= 0) return m as Mapping;
  } catch {
    /* absent or unreadable */
  }
  return undefined;
}

async function writeMapping(file: string, m: Mapping): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await fs.writeFile(tmp, `${JSON.stringify(m)}\n`);
    await fs.rename(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
