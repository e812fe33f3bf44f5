import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BlobStore } from '@pipekit/cas-store';
import { IntegrityError, NotFoundError, WireFormatError, type Layer } from '@pipekit/wire';
import { MEDIA_LAYER_GZIP, exportLayer, gzipMappingPath } from './layers.ts';
import { cleanup, fixture, layerTar } from './testing.ts';

const rejectsWith = async (p: Promise<unknown>, cls: new (...a: never[]) => Error, re?: RegExp) => {
  try {
    await p;
  } catch (err) {
    assert.instance(err, cls);
    if (re) assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable('expected a rejection');
};

test('an uncompressed layer is gzipped into the store, with a mapping file', async () => {
  const { storeDir, layer } = await fixture();
  const res = await exportLayer(layer, { storeDir });
  assert.is(res.source, 'compressed');
  assert.is(res.diffID, layer.diffID);
  assert.is(res.desc.mediaType, MEDIA_LAYER_GZIP);
  const blobs = new BlobStore(storeDir);
  const gz = await blobs.read(res.desc.digest);
  assert.is(gz.length, res.desc.size);
  assert.ok(gunzipSync(gz).equals(await layerTar()), 'gunzips to the layer tar');
  assert.equal(JSON.parse(await fs.readFile(gzipMappingPath(storeDir, layer.diffID), 'utf8')), { digest: res.desc.digest, size: res.desc.size });
  assert.equal(await fs.readdir(`${storeDir}/layers/gzip`), [`${layer.diffID.slice(7)}.json`], 'no temp files left');
});

test('the next export reuses the mapped blob', async () => {
  const { storeDir, layer } = await fixture();
  const first = await exportLayer(layer, { storeDir });
  const again = await exportLayer(layer, { storeDir });
  assert.is(again.source, 'reused');
  assert.equal(again.desc, first.desc);
});

test('a mapping to a missing or resized blob, or a damaged mapping, means compress again', async () => {
  const { storeDir, layer } = await fixture();
  const first = await exportLayer(layer, { storeDir });
  const map = gzipMappingPath(storeDir, layer.diffID);
  await fs.writeFile(map, JSON.stringify({ digest: first.desc.digest, size: first.desc.size + 1 }));
  assert.is((await exportLayer(layer, { storeDir })).source, 'compressed');
  await fs.writeFile(map, 'not json');
  assert.is((await exportLayer(layer, { storeDir })).source, 'compressed');
  await new BlobStore(storeDir).delete(first.desc.digest);
  const again = await exportLayer(layer, { storeDir });
  assert.is(again.source, 'compressed');
  assert.equal(again.desc, first.desc); // same zlib, same bytes
});

test('gzip layers are used as they are; docker media type becomes the OCI one', async () => {
  const { storeDir, layer } = await fixture();
  const gz = gzipSync(await layerTar());
  const stored = await new BlobStore(storeDir).put(gz);
  for (const mediaType of [MEDIA_LAYER_GZIP, 'application/vnd.docker.image.rootfs.diff.tar.gzip']) {
    const l: Layer = { diffID: layer.diffID, size: layer.size, blob: { mediaType, ...stored } };
    const res = await exportLayer(l, { storeDir });
    assert.is(res.source, 'as-is');
    assert.equal(res.desc, { mediaType: MEDIA_LAYER_GZIP, ...stored });
  }
  const zstd = { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', ...stored };
  assert.equal((await exportLayer({ ...layer, blob: zstd }, { storeDir })).desc, zstd);
});

test('bad layer records', async () => {
  const { storeDir, layer } = await fixture();
  await rejectsWith(exportLayer({ ...layer, blob: { ...layer.blob, mediaType: 'text/plain' } }, { storeDir }), WireFormatError, /media type/);
  await rejectsWith(exportLayer({ ...layer, diffID: 'sha256:nope' }, { storeDir }), WireFormatError, /diffID/);
  await rejectsWith(exportLayer({ ...layer, diffID: `sha256:${'0'.repeat(64)}` }, { storeDir }), WireFormatError, /does not match/);
  const missing = `sha256:${'e'.repeat(64)}`;
  await rejectsWith(exportLayer({ diffID: missing, size: 1, blob: { mediaType: layer.blob.mediaType, digest: missing, size: 1 } }, { storeDir }), NotFoundError);
  await rejectsWith(exportLayer({ ...layer, blob: { ...layer.blob, size: layer.blob.size + 1 } }, { storeDir }), IntegrityError, /bytes/);
});

test('a corrupt source layer stores nothing and writes no mapping', async () => {
  const { storeDir, layer } = await fixture();
  const blobs = new BlobStore(storeDir);
  const p = blobs.path(layer.diffID);
  const bytes = await fs.readFile(p);
  bytes[700] ^= 1;
  await fs.chmod(p, 0o644);
  await fs.writeFile(p, bytes);
  await rejectsWith(exportLayer(layer, { storeDir }), IntegrityError, /corrupt/);
  assert.equal(await blobs.list(), [layer.diffID]);
  await rejectsWith(fs.access(gzipMappingPath(storeDir, layer.diffID)), Error);
  assert.equal(await fs.readdir(`${storeDir}/tmp`), []);
});

test.after(cleanup);

test.run();
