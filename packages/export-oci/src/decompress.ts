// A stored layer blob as the uncompressed tar it holds: gzip through zlib (any
// zlib inflates to the same bytes), zstd through fzstd (pure JS, multi-frame),
// tar as it is. The blob's own digest is verified by the store as it streams.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import type { BlobStore } from '@pipekit/cas-store';
import { IntegrityError, WireFormatError, type Descriptor } from '@pipekit/wire';

export type LayerCompression = 'uncompressed' | 'gzip' | 'zstd';

const KINDS: Record<string, LayerCompression> = {
  'application/vnd.oci.image.layer.v1.tar': 'uncompressed',
  'application/vnd.docker.image.rootfs.diff.tar': 'uncompressed',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'uncompressed',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
  'application/vnd.docker.image.rootfs.diff.tar.zstd': 'zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': 'zstd',
};

/** How a layer media type is compressed; throws for media types that are not layers. */
export function layerCompression(mediaType: string): LayerCompression {
  const kind = KINDS[mediaType];
  if (!kind) throw new WireFormatError(`unsupported layer media type ${JSON.stringify(mediaType)}`);
  return kind;
}

/** Stream the uncompressed tar of a stored layer blob. */
export function openLayerTar(blobs: BlobStore, desc: Descriptor): AsyncIterable<Uint8Array> {
  const kind = layerCompression(desc.mediaType);
  const raw = blobs.open(desc.digest);
  if (kind === 'uncompressed') return raw;
  if (kind === 'gzip') return gunzip(raw, desc.digest);
  return unzstd(raw, desc.digest);
}

async function* gunzip(src: AsyncIterable<Uint8Array>, digest: string): AsyncGenerator<Uint8Array> {
  const gz = Readable.from(src).pipe(createGunzip());
  try {
    for await (const chunk of gz) yield chunk as Buffer;
  } catch (err) {
    if (err instanceof IntegrityError) throw err;
    throw new IntegrityError(`layer blob ${digest} is not valid gzip: ${(err as Error).message}`, { cause: err });
  }
}

async function* unzstd(src: AsyncIterable<Uint8Array>, digest: string): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  const d = new Decompress((chunk) => out.push(chunk));
  const fail = (err: unknown) => new IntegrityError(`layer blob ${digest} is not valid zstd: ${(err as Error).message}`, { cause: err });
  for await (const chunk of src) {
    try {
      d.push(chunk);
    } catch (err) {
      throw fail(err);
    }
    yield* out.splice(0);
  }
  try {
    d.push(new Uint8Array(0), true);
  } catch (err) {
    throw fail(err);
  }
  yield* out.splice(0);
}
