import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CompressPool } from './compress-pool.ts';
import { exportLayer, layerMappingPath, layerVariant } from './layers.ts';
import { Precompressor } from './precompress.ts';
import { cleanup, fixture, storeLayer } from './testing.ts';

test.after(cleanup);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const big = (n: number) => [{ type: 'file' as const, name: 'big.bin', data: randomBytes(n) }];

test('a layer offered while waiting is stored as the export would make it', async () => {
  const { storeDir, layer } = await fixture();
  const pre = new Precompressor({ storeDir, compression: 'gzip' });
  pre.offer(layer);
  await pre.during(pause(300));
  await pre.stop();
  const mapping = layerMappingPath(storeDir, layer.diffID, layerVariant('gzip', undefined, undefined));
  assert.ok(await fs.stat(mapping).catch(() => undefined), 'mapping written');
  const pool = new CompressPool({ threads: 0 });
  const got = await exportLayer(layer, { storeDir, pool });
  assert.is(got.source, 'reused');
  // the same bytes an export compressing it itself makes
  const fresh = await fixture();
  const made = await exportLayer(fresh.layer, { storeDir: fresh.storeDir, pool });
  assert.is(got.desc.digest, made.desc.digest);
});

test('nothing is compressed unless the caller is waiting', async () => {
  const { storeDir, layer } = await fixture();
  const pre = new Precompressor({ storeDir, compression: 'gzip' });
  pre.offer(layer);
  await pause(200);
  await pre.stop();
  const mapping = layerMappingPath(storeDir, layer.diffID, layerVariant('gzip', undefined, undefined));
  assert.not.ok(await fs.stat(mapping).catch(() => undefined));
});

test('stopping mid-layer leaves no blob and no temp file behind', async () => {
  const { storeDir } = await fixture();
  const layer = await storeLayer(storeDir, big(24 * 1024 * 1024));
  const before = new Set(await fs.readdir(path.join(storeDir, 'blobs', 'sha256')));
  const pre = new Precompressor({ storeDir, compression: 'zstd' });
  pre.offer(layer);
  let release = () => {};
  const waiting = pre.during(new Promise<void>((r) => (release = r)));
  await pause(50);
  await pre.stop();
  release();
  await waiting;
  const after = await fs.readdir(path.join(storeDir, 'blobs', 'sha256'));
  assert.equal(after.filter((f) => !before.has(f)), [], 'no new blob');
  const tmp = await fs.readdir(path.join(storeDir, 'tmp')).catch(() => [] as string[]);
  assert.equal(tmp.filter((f) => f.startsWith('blob-')), [], 'no temp file');
  const mapping = layerMappingPath(storeDir, layer.diffID, layerVariant('zstd', undefined, undefined));
  assert.not.ok(await fs.stat(mapping).catch(() => undefined));
});

test('compressed layers (base images) are not offered work', async () => {
  const { storeDir, layer } = await fixture();
  const pre = new Precompressor({ storeDir, compression: 'gzip' });
  pre.offer({ ...layer, blob: { ...layer.blob, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' } });
  await pre.during(pause(100));
  await pre.stop();
  assert.not.ok(await fs.stat(layerMappingPath(storeDir, layer.diffID, 'gzip-6')).catch(() => undefined));
});

test.run();
