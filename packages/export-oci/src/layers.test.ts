import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { decompress as unzstd } from 'fzstd';
import { BlobStore } from '@pipekit/cas-store';
import { IntegrityError, NotFoundError, WireFormatError, type Layer } from '@pipekit/wire';
import { CompressPool } from './compress-pool.ts';
import { MEDIA_LAYER_GZIP, MEDIA_LAYER_TAR, MEDIA_LAYER_ZSTD, exportLayer, layerMappingPath, layerVariant } from './layers.ts';
import { cleanup, fixture, layerTar } from './testing.ts';

const pool = new CompressPool({ threads: 0 });

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

async function mtimes(tar: Uint8Array): Promise<number[]> {
  const ex = tarStream.extract();
  const out: number[] = [];
  const done = (async () => {
    for await (const e of ex) {
      out.push(e.header.mtime!.getTime() / 1000);
      e.resume();
    }
  })();
  ex.end(Buffer.from(tar));
  await done;
  return out;
}

test('an uncompressed layer is gzipped into the store, with a mapping file', async () => {
  const { storeDir, layer } = await fixture();
  const res = await exportLayer(layer, { storeDir, pool });
  assert.is(res.source, 'compressed');
  assert.is(res.diffID, layer.diffID);
  assert.is(res.rewritten, false);
  assert.is(res.desc.mediaType, MEDIA_LAYER_GZIP);
  const gz = await new BlobStore(storeDir).read(res.desc.digest);
  assert.is(gz.length, res.desc.size);
  assert.ok(gunzipSync(gz).equals(await layerTar()), 'gunzips to the layer tar');
  const map = layerMappingPath(storeDir, layer.diffID, 'gzip-6');
  assert.equal(JSON.parse(await fs.readFile(map, 'utf8')), { diffID: layer.diffID, digest: res.desc.digest, size: res.desc.size });
});

test('the next export reuses the mapped blob; another level is another variant', async () => {
  const { storeDir, layer } = await fixture();
  const first = await exportLayer(layer, { storeDir, pool });
  const again = await exportLayer(layer, { storeDir, pool });
  assert.is(again.source, 'reused');
  assert.equal(again.desc, first.desc);
  const nine = await exportLayer(layer, { storeDir, pool, level: 9 });
  assert.is(nine.source, 'compressed');
  assert.is(layerVariant('gzip', 9, undefined), 'gzip-9');
});

test('a mapping to a missing or resized blob, or a damaged mapping, means compress again', async () => {
  const { storeDir, layer } = await fixture();
  const first = await exportLayer(layer, { storeDir, pool });
  const map = layerMappingPath(storeDir, layer.diffID, 'gzip-6');
  await fs.writeFile(map, JSON.stringify({ diffID: layer.diffID, digest: first.desc.digest, size: first.desc.size + 1 }));
  assert.is((await exportLayer(layer, { storeDir, pool })).source, 'compressed');
  await fs.writeFile(map, 'not json');
  assert.is((await exportLayer(layer, { storeDir, pool })).source, 'compressed');
  await new BlobStore(storeDir).delete(first.desc.digest);
  const again = await exportLayer(layer, { storeDir, pool });
  assert.is(again.source, 'compressed');
  assert.equal(again.desc, first.desc); // deterministic compression: same bytes
});

test('zstd and uncompressed', async () => {
  const { storeDir, layer } = await fixture();
  const z = await exportLayer(layer, { storeDir, pool, compression: 'zstd' });
  assert.is(z.desc.mediaType, MEDIA_LAYER_ZSTD);
  assert.ok(Buffer.from(unzstd(await new BlobStore(storeDir).read(z.desc.digest))).equals(await layerTar()));
  const plain = await exportLayer(layer, { storeDir, pool, compression: 'uncompressed' });
  assert.equal(plain.desc, { mediaType: MEDIA_LAYER_TAR, digest: layer.diffID, size: layer.size });
  assert.is(plain.source, 'as-is');
});

test('compressed layers are kept as they are unless forced', async () => {
  const { storeDir, layer } = await fixture();
  const stored = await new BlobStore(storeDir).put(gzipSync(await layerTar()));
  for (const mediaType of [MEDIA_LAYER_GZIP, 'application/vnd.docker.image.rootfs.diff.tar.gzip']) {
    const l: Layer = { diffID: layer.diffID, size: layer.size, blob: { mediaType, ...stored } };
    const res = await exportLayer(l, { storeDir, pool, compression: 'zstd' });
    assert.is(res.source, 'as-is');
    assert.equal(res.desc, { mediaType: MEDIA_LAYER_GZIP, ...stored });
  }
  const gz: Layer = { diffID: layer.diffID, size: layer.size, blob: { mediaType: MEDIA_LAYER_GZIP, ...stored } };
  const forced = await exportLayer(gz, { storeDir, pool, compression: 'zstd', force: true });
  assert.is(forced.desc.mediaType, MEDIA_LAYER_ZSTD);
  assert.is(forced.diffID, layer.diffID, 'recompressing keeps the diff id');
  const unforced = await exportLayer(gz, { storeDir, pool, compression: 'gzip', force: true });
  assert.is(unforced.source, 'as-is', 'already gzip: nothing to force');
});

test('a compressed layer whose content does not match its diff id fails on force', async () => {
  const { storeDir, layer } = await fixture();
  const stored = await new BlobStore(storeDir).put(gzipSync(Buffer.from('not the layer')));
  const l: Layer = { diffID: layer.diffID, size: layer.size, blob: { mediaType: MEDIA_LAYER_GZIP, ...stored } };
  await rejectsWith(exportLayer(l, { storeDir, pool, compression: 'zstd', force: true }), IntegrityError, /does not match diff id/);
});

test('with an epoch, a layer built here has its mtimes clamped (and a new diff id)', async () => {
  const { storeDir } = await fixture();
  const { storeLayer } = await import('./testing.ts');
  const late = await storeLayer(storeDir, [{ name: 'f.txt', type: 'file', data: 'x' }], 2_000_000_000);
  const res = await exportLayer(late, { storeDir, pool, epoch: 1_700_000_000 });
  assert.is(res.rewritten, true);
  assert.is.not(res.diffID, late.diffID);
  const tar = gunzipSync(await new BlobStore(storeDir).read(res.desc.digest));
  assert.equal(await mtimes(tar), [1_700_000_000]);
  const again = await exportLayer(late, { storeDir, pool, epoch: 1_700_000_000 });
  assert.equal({ ...again, source: 'compressed' }, res);
  // already older than the epoch: unchanged tar, unchanged diff id
  const early = await storeLayer(storeDir, [{ name: 'g.txt', type: 'file', data: 'y' }], 1_000);
  assert.is((await exportLayer(early, { storeDir, pool, epoch: 1_700_000_000 })).diffID, early.diffID);
});

test('bad layer records', async () => {
  const { storeDir, layer } = await fixture();
  await rejectsWith(exportLayer({ ...layer, blob: { ...layer.blob, mediaType: 'text/plain' } }, { storeDir, pool }), WireFormatError, /media type/);
  await rejectsWith(exportLayer({ ...layer, diffID: 'sha256:nope' }, { storeDir, pool }), WireFormatError, /diffID/);
  await rejectsWith(exportLayer({ ...layer, diffID: `sha256:${'0'.repeat(64)}` }, { storeDir, pool }), WireFormatError, /does not match/);
  const missing = `sha256:${'e'.repeat(64)}`;
  await rejectsWith(exportLayer({ diffID: missing, size: 1, blob: { mediaType: layer.blob.mediaType, digest: missing, size: 1 } }, { storeDir, pool }), NotFoundError);
  await rejectsWith(exportLayer({ ...layer, blob: { ...layer.blob, size: layer.blob.size + 1 } }, { storeDir, pool }), IntegrityError, /bytes/);
});

test('a corrupt source layer stores nothing and writes no mapping', async () => {
  const { storeDir, layer } = await fixture();
  const blobs = new BlobStore(storeDir);
  const p = blobs.path(layer.diffID);
  const bytes = await fs.readFile(p);
  bytes[700] ^= 1;
  await fs.chmod(p, 0o644);
  await fs.writeFile(p, bytes);
  await rejectsWith(exportLayer(layer, { storeDir, pool }), IntegrityError, /corrupt/);
  assert.equal(await blobs.list(), [layer.diffID]);
  await rejectsWith(fs.access(layerMappingPath(storeDir, layer.diffID, 'gzip-6')), Error);
  assert.equal(await fs.readdir(`${storeDir}/tmp`), []);
});

test.after(cleanup);

test.run();
