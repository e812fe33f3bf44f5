import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BlobStore } from '@pipekit/cas-store';
import { UsageError } from '@pipekit/wire';
import { CompressPool } from './compress-pool.ts';
import { buildImage } from './image.ts';
import { writeLayout } from './layout.ts';
import { normalizeNames } from './names.ts';
import { cleanup, fixture, tempDir } from './testing.ts';

async function built() {
  const { storeDir, image } = await fixture();
  const blobs = new BlobStore(storeDir);
  const img = await buildImage([image], { storeDir, blobs, pool: new CompressPool({ threads: 0 }), progress: () => {}, layers: new Map() }, { compression: 'gzip', force: false, ociTypes: true, rewriteTimestamp: true, annotations: [] });
  return { img, blobs };
}

test('tar=false: a new directory appears only on commit', async () => {
  const { img, blobs } = await built();
  const dest = path.join(await tempDir(), 'layout');
  const p = await writeLayout(img, { type: 'oci', names: normalizeNames('a:1'), annotations: [], blobs, tar: false, dest });
  await assert.not.ok(await fs.access(dest).then(() => true, () => false));
  await p.commit();
  assert.equal((await fs.readdir(dest)).sort(), ['blobs', 'index.json', 'oci-layout']);
  assert.is((await fs.stat(dest)).mode & 0o777, 0o755);
});

test('tar=false into an existing layout keeps its other images; other directories are refused', async () => {
  const { img, blobs } = await built();
  const dest = path.join(await tempDir(), 'layout');
  await (await writeLayout(img, { type: 'oci', names: normalizeNames('a:1'), annotations: [], blobs, tar: false, dest })).commit();
  await (await writeLayout(img, { type: 'oci', names: normalizeNames('b:2'), annotations: [], blobs, tar: false, dest })).commit();
  await (await writeLayout(img, { type: 'oci', names: normalizeNames('b:2'), annotations: [], blobs, tar: false, dest })).commit();
  const index = JSON.parse(await fs.readFile(path.join(dest, 'index.json'), 'utf8'));
  assert.equal(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations['io.containerd.image.name']), ['docker.io/library/a:1', 'docker.io/library/b:2']);
  const other = await tempDir();
  await fs.writeFile(path.join(other, 'keep.txt'), 'mine');
  try {
    await writeLayout(img, { type: 'oci', names: [], annotations: [], blobs, tar: false, dest: other });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, UsageError);
  }
  assert.equal(await fs.readdir(path.dirname(dest)), ['layout']);
});

test.after(cleanup);

test.run();
