// Layer blobs as they go into an image. Layers built here are stored as plain
// tars; exporting one compresses it (gzip or zstd, on every core), after
// clamping its timestamps to SOURCE_DATE_EPOCH when that is set, and keeps the
// result in the store with a small mapping file
//   export-oci/layers/<variant>/<source diffID hex>.json = {diffID, digest, size}
// (variant = compression, level and epoch) so the next export of the same layer
// copies the stored blob instead of doing the work again. Layers that arrived
// compressed (base images) are used as they are unless force-compression asks
// for another compression; their timestamps are never rewritten, as BuildKit
// leaves base layers alone.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { BlobStore, readJsonMaybe, short, writeJsonAtomic } from '@pipekit/cas-store';
import { IntegrityError, UsageError, WireFormatError, isDigest, type Descriptor, type Layer } from '@pipekit/wire';
import { CompressPool } from './compress-pool.ts';
import { LEVELS, compressStream } from './compress.ts';
import { layerCompression, openLayerTar, type LayerCompression } from './decompress.ts';
import { rewriteTimestamps } from './rewrite.ts';

export const MEDIA_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const MEDIA_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const MEDIA_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
const OCI_TYPE: Record<LayerCompression, string> = { uncompressed: MEDIA_LAYER_TAR, gzip: MEDIA_LAYER_GZIP, zstd: MEDIA_LAYER_ZSTD };

export type LayerOptions = {
  storeDir: string;
  /** reuse an open BlobStore (default: one over storeDir) */
  blobs?: BlobStore;
  /** default gzip */
  compression?: LayerCompression;
  /** default 6 for gzip, 3 for zstd (BuildKit's defaults) */
  level?: number;
  /** recompress layers that are already compressed another way */
  force?: boolean;
  /** SOURCE_DATE_EPOCH: clamp timestamps in layers built here */
  epoch?: number;
  /** compression threads (default: a one-off pool over every core) */
  pool?: CompressPool;
};

/** How the blob was obtained: made now, taken from an earlier export, or the stored blob itself. */
export type LayerSource = 'compressed' | 'reused' | 'as-is';
/** `diffID` differs from the record's when timestamps were rewritten. */
export type ExportedLayer = { desc: Descriptor; diffID: string; source: LayerSource; rewritten: boolean };

type Mapping = { diffID: string; digest: string; size: number };

/** The variant name of an export setting, e.g. gzip-6, zstd-3-epoch1700000000, uncompressed-epoch0. */
export function layerVariant(compression: LayerCompression, level: number | undefined, epoch: number | undefined): string {
  const lvl = compression === 'uncompressed' ? '' : `-${level ?? LEVELS[compression].default}`;
  return `${compression}${lvl}${epoch === undefined ? '' : `-epoch${epoch}`}`;
}

/** Where the mapping for one layer and variant lives. */
export function layerMappingPath(storeDir: string, diffID: string, variant: string): string {
  return path.join(storeDir, 'export-oci', 'layers', variant, `${diffID.replace(/^sha256:/, '')}.json`);
}

/** The descriptor a manifest lists for `layer` (OCI media type), making and storing the blob if needed. */
export async function exportLayer(layer: Layer, opts: LayerOptions): Promise<ExportedLayer> {
  const blobs = opts.blobs ?? new BlobStore(opts.storeDir);
  const { blob, diffID } = layer;
  if (!isDigest(diffID)) throw new WireFormatError(`layer diffID ${JSON.stringify(diffID)} is not a sha256 digest`);
  if (!blob || !isDigest(blob.digest)) throw new WireFormatError(`layer ${short(diffID)}: blob digest missing or malformed`);
  let kind: LayerCompression;
  try {
    kind = layerCompression(blob.mediaType);
  } catch {
    throw new WireFormatError(`layer ${short(diffID)} has unsupported media type ${JSON.stringify(blob.mediaType)}`);
  }
  // an uncompressed blob *is* the layer tar, so its digest must be the diff id
  if (kind === 'uncompressed' && blob.digest !== diffID) {
    throw new WireFormatError(`layer ${short(diffID)}: uncompressed blob ${short(blob.digest)} does not match its diffID`);
  }
  const want = opts.compression ?? 'gzip';
  const rewrite = kind === 'uncompressed' && opts.epoch !== undefined;
  if (!rewrite && (kind === want || (kind !== 'uncompressed' && !opts.force))) {
    await checkStored(blobs, blob.digest, blob.size);
    return { desc: { mediaType: OCI_TYPE[kind], digest: blob.digest, size: blob.size }, diffID, source: 'as-is', rewritten: false };
  }

  const mapFile = layerMappingPath(opts.storeDir, diffID, layerVariant(want, opts.level, rewrite ? opts.epoch : undefined));
  const mapped = await readMapping(mapFile);
  if (mapped && (await blobs.size(mapped.digest).catch(() => -1)) === mapped.size) {
    const desc = { mediaType: OCI_TYPE[want], digest: mapped.digest, size: mapped.size };
    return { desc, diffID: mapped.diffID, source: 'reused', rewritten: mapped.diffID !== diffID };
  }

  await checkStored(blobs, blob.digest, blob.size);
  let tar = openLayerTar(blobs, blob);
  // blobs.open verifies a stored tar; a decompressed one is checked against its diff id here
  if (kind !== 'uncompressed') tar = verified(tar, diffID, `layer ${short(blob.digest)}`);
  if (rewrite) tar = rewriteTimestamps(tar, opts.epoch!, `layer ${short(diffID)}`);
  let outDiffID = '';
  tar = hashed(tar, (d) => (outDiffID = d));
  const ownPool = opts.pool ? undefined : new CompressPool();
  try {
    const level = want === 'uncompressed' ? 0 : checkLevel(want, opts.level);
    const body = want === 'uncompressed' ? tar : compressStream(tar, { codec: want, level, pool: opts.pool ?? ownPool! });
    const stored = await blobs.put(body);
    await writeJsonAtomic(mapFile, { diffID: outDiffID, digest: stored.digest, size: stored.size } satisfies Mapping);
    return { desc: { mediaType: OCI_TYPE[want], ...stored }, diffID: outDiffID, source: 'compressed', rewritten: outDiffID !== diffID };
  } finally {
    await ownPool?.close();
  }
}

function checkLevel(codec: 'gzip' | 'zstd', level: number | undefined): number {
  const range = LEVELS[codec];
  if (level === undefined) return range.default;
  if (!Number.isInteger(level) || level < range.min || level > range.max) {
    throw new UsageError(`compression-level ${level} is out of range for ${codec} (${range.min}-${range.max})`);
  }
  return level;
}

async function* hashed(src: AsyncIterable<Uint8Array>, done: (digest: string) => void): AsyncGenerator<Uint8Array> {
  const h = createHash('sha256');
  for await (const chunk of src) {
    h.update(chunk);
    yield chunk;
  }
  done(`sha256:${h.digest('hex')}`);
}

async function* verified(src: AsyncIterable<Uint8Array>, diffID: string, what: string): AsyncGenerator<Uint8Array> {
  let got = '';
  yield* hashed(src, (d) => (got = d));
  if (got !== diffID) throw new IntegrityError(`${what}: uncompressed content ${short(got)} does not match diff id ${short(diffID)}`);
}

async function checkStored(blobs: BlobStore, digest: string, size: number): Promise<void> {
  const got = await blobs.size(digest);
  if (got !== size) throw new IntegrityError(`blob ${short(digest)} is corrupt: expected ${size} bytes, store has ${got}`);
}

async function readMapping(file: string): Promise<Mapping | undefined> {
  const m = await readJsonMaybe<Partial<Mapping>>(file);
  // a damaged mapping only costs the work again, so it is ignored, not fatal
  if (m && isDigest(m.digest) && isDigest(m.diffID) && Number.isSafeInteger(m.size) && (m.size as number) >= 0) return m as Mapping;
  return undefined;
}
