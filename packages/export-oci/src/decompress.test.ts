import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync } from 'node:zlib';
import { BlobStore } from '@pipekit/cas-store';
import { IntegrityError, WireFormatError } from '@pipekit/wire';
import { CompressPool } from './compress-pool.ts';
import { compressStream } from './compress.ts';
import { layerCompression, openLayerTar } from './decompress.ts';
import { cleanup, tempDir } from './testing.ts';

const read = async (src: AsyncIterable<Uint8Array>) => {
  const parts: Buffer[] = [];
  for await (const c of src) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
};

test('media types map to their compression', () => {
  assert.is(layerCompression('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'gzip');
  assert.is(layerCompression('application/vnd.oci.image.layer.v1.tar+zstd'), 'zstd');
  assert.is(layerCompression('application/vnd.oci.image.layer.v1.tar'), 'uncompressed');
  assert.throws(() => layerCompression('text/plain'), (e: Error) => e instanceof WireFormatError);
});

test('gzip, zstd (several frames) and plain blobs open as the tar they hold', async () => {
  const blobs = new BlobStore(await tempDir());
  const data = Buffer.from('tar bytes '.repeat(30000));
  const gz = await blobs.put(gzipSync(data));
  const zst = await blobs.put(compressStream((async function* () { yield data; })(), { codec: 'zstd', level: 3, pool: new CompressPool({ threads: 0 }), blockSize: 65536 }));
  const plain = await blobs.put(data);
  assert.ok((await read(openLayerTar(blobs, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...gz }))).equals(data));
  assert.ok((await read(openLayerTar(blobs, { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', ...zst }))).equals(data));
  assert.ok((await read(openLayerTar(blobs, { mediaType: 'application/vnd.oci.image.layer.v1.tar', ...plain }))).equals(data));
  try {
    await read(openLayerTar(blobs, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...plain }));
    assert.unreachable();
  } catch (err) {
    assert.instance(err, IntegrityError);
    assert.match((err as Error).message, /not valid gzip/);
  }
});

test.after(cleanup);

test.run();
