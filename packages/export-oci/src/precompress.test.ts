import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CompressPool } from './compress-pool.ts';
import { exportLayer, layerMappingPath, layerVariant } from './layers.ts';
import { FINISH_MAX_BYTES, Precompressor } from './precompress.ts';
import { cleanup, fixture, storeLayer } from './testing.ts';

test.after(cleanup);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exists = (f: string) => fs.stat(f).then(() => true, () => false);
/** Pending until `f` exists (the work at nice 19 may wait for other tests' CPU). */
async function until(f: string): Promise<void> {
  for (let i = 0; i < 400 && !(await exists(f)); i++) await pause(25);
}
const big = (n: number) => [{ type: 'file' as const, name: 'big.bin', data: randomBytes(n).toString('base64') }];

test('a layer offered while waiting is stored as the export would make it', async () => {
  const files = big(1024 * 1024);
  const { storeDir, layer } = await fixture(files);
  const pre = new Precompressor({ storeDir, compression: 'gzip' });
  pre.offer(layer);
  const mapping = layerMappingPath(storeDir, layer.diffID, layerVariant('gzip', undefined, undefined));
  await pre.during(until(mapping));
  await pre.stop();
  assert.ok(await exists(mapping), 'mapping written');
  const pool = new CompressPool({ threads: 0 });
  const got = await exportLayer(layer, { storeDir, pool });
  assert.is(got.source, 'reused');
  // the same bytes an export compressing it itself makes
  const fresh = await fixture(files);
  const made = await exportLayer(fresh.layer, { storeDir: fresh.storeDir, pool });
  assert.is(got.desc.digest, made.desc.digest);
});

test('nothing is compressed unless the caller has waited a while', async () => {
  const { storeDir, layer } = await fixture(big(1024 * 1024));
  const small = await storeLayer(storeDir);
  const pre = new Precompressor({ storeDir, compression: 'gzip' });
  pre.offer(layer);
  pre.offer(small);
  // short waits (a quick step's runc start-up is CPU work itself) do not count
  for (let i = 0; i < 3; i++) await pre.during(pause(100));
  await pause(200);
  const mapping = layerMappingPath(storeDir, layer.diffID, layerVariant('gzip', undefined, undefined));
  const smallMapping = layerMappingPath(storeDir, small.diffID, 'gzip-6');
  assert.not.ok(await exists(mapping));
  await pre.during(until(smallMapping));
  await pre.stop();
  assert.ok(await exists(mapping), 'both once waiting');
  assert.ok(await exists(smallMapping), 'small layers too');
});

test('stopping mid-layer leaves no blob and no temp file behind', async () => {
  const { storeDir } = await fixture();
  const layer = await storeLayer(storeDir, big(24 * 1024 * 1024));
  const before = new Set(await fs.readdir(path.join(storeDir, 'blobs', 'sha256')));
  const pre = new Precompressor({ storeDir, compression: 'zstd' });
  pre.offer(layer);
  let release = () => {};
  const waiting = pre.during(new Promise<void>((r) => (release = r)));
  await pause(400);
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
  const { storeDir, layer } = await fixture(big(1024 * 1024));
  const pre = new Precompressor({ storeDir, compression: 'gzip' });
  pre.offer({ ...layer, blob: { ...layer.blob, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' } });
  await pre.during(pause(400));
  await pre.stop();
  assert.not.ok(await fs.stat(layerMappingPath(storeDir, layer.diffID, 'gzip-6')).catch(() => undefined));
});

test('finish() compresses what is left when it is small and a thread is up, and leaves big layers to the export', async () => {
  const { storeDir, layer: first } = await fixture(big(64 * 1024));
  const mappingOf = (l: { diffID: string }) => layerMappingPath(storeDir, l.diffID, 'gzip-6');
  const pre = new Precompressor({ storeDir, compression: 'gzip' });
  pre.offer(first);
  // the thread starts while a step waits
  await pre.during(until(mappingOf(first)));
  const small = await storeLayer(storeDir, big(32 * 1024));
  const small2 = await storeLayer(storeDir, big(16 * 1024));
  pre.offer(small);
  pre.offer(small2);
  assert.not.ok(await exists(mappingOf(small)), 'nothing is done outside a wait');
  await pre.finish();
  assert.ok(await exists(mappingOf(small)), 'small layers done by finish');
  assert.ok(await exists(mappingOf(small2)));
  const later = await storeLayer(storeDir, big(1024));
  pre.offer(later);
  await pre.during(pause(400));
  await pre.stop();
  assert.not.ok(await exists(mappingOf(later)), 'nothing after finish');

  const other = await fixture(big(64 * 1024));
  const pre2 = new Precompressor({ storeDir: other.storeDir, compression: 'gzip' });
  pre2.offer(other.layer);
  await pre2.during(until(layerMappingPath(other.storeDir, other.layer.diffID, 'gzip-6')));
  const large = await storeLayer(other.storeDir, big(FINISH_MAX_BYTES));
  assert.ok(large.size > FINISH_MAX_BYTES);
  pre2.offer(large);
  await pre2.finish();
  assert.not.ok(await exists(layerMappingPath(other.storeDir, large.diffID, 'gzip-6')), "a big layer is the export's");
});

test('finish() starts no thread for what is left', async () => {
  const { storeDir, layer } = await fixture(big(1024));
  const pre = new Precompressor({ storeDir, compression: 'gzip' });
  pre.offer(layer);
  await pre.finish();
  assert.not.ok(await exists(layerMappingPath(storeDir, layer.diffID, 'gzip-6')));
});

test.run();
