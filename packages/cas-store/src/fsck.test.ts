import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Store } from './store.ts';
import { fsck } from './fsck.ts';

async function fresh(): Promise<Store> {
  return Store.open(await fs.mkdtemp(path.join(os.tmpdir(), 'fsck-')));
}

/** A layer as llb-solve leaves it: blob, snapshot, index entry, and a cache record naming it. */
async function layer(store: Store, text: string): Promise<{ diffID: string; snapshot: string }> {
  const blob = await store.blobs.put(text);
  const tmp = await store.snapshots.prepare();
  await fs.writeFile(path.join(tmp.dir, 'f'), text);
  const snapshot = await store.snapshots.commit(tmp.id);
  await store.layers.put({ diffID: blob.digest, size: blob.size, blob: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: blob.digest, size: blob.size }, snapshot });
  await store.cache.put(`sha256:${'c'.repeat(63)}${text.length % 10}`, [{ layers: [blob.digest] }], `RUN ${text}`);
  return { diffID: blob.digest, snapshot };
}

test('a healthy store has no problems', async () => {
  const store = await fresh();
  await layer(store, 'a');
  const rep = await fsck(store);
  assert.equal(rep.problems, []);
  assert.equal(rep.checked, { blobs: 1, layers: 1, cacheRecords: 1 });
});

test('a corrupt blob, the layer on it and the cache record through it are errors; --repair drops them', async () => {
  const store = await fresh();
  const good = await layer(store, 'good');
  const bad = await layer(store, 'bad');
  const p = store.blobs.path(bad.diffID);
  await fs.chmod(p, 0o644);
  await fs.writeFile(p, 'tampered');
  const rep = await fsck(store);
  const errors = rep.problems.filter((x) => x.severity === 'error').map((x) => `${x.what}: ${x.message}`);
  assert.is(errors.length, 3, errors.join('\n'));
  assert.match(errors[0], /blob is corrupt: content hashes to sha256:/);
  assert.match(errors[1], /its blob .* is missing or corrupt/);
  assert.match(errors[2], /names layer .* which is not usable/);
  const fixed = await fsck(store, { repair: true });
  assert.ok(fixed.problems.every((x) => x.repaired));
  const again = await fsck(store);
  assert.equal(again.problems, []);
  assert.ok(await store.layers.get(good.diffID));
  assert.is(await store.layers.get(bad.diffID), undefined);
  assert.not.ok(await store.snapshots.exists(bad.snapshot), 'the broken layer\'s snapshot went with it');
});

test('a missing snapshot and an unreadable record are errors; leftovers of dead processes are garbage', async () => {
  const store = await fresh();
  const l = await layer(store, 'x');
  await fs.rm(store.snapshots.dir(l.snapshot), { recursive: true });
  await fs.writeFile(path.join(store.cache.root, `${'d'.repeat(64)}.json`), '{"key": ');
  await fs.writeFile(path.join(store.cache.root, `${'e'.repeat(64)}.json.tmp-999999999-abcdef123456`), 'half');
  await fs.mkdir(path.join(store.snapshots.root, 'aaaaaaaaaa'));
  const rep = await fsck(store);
  const lines = rep.problems.map((x) => `${x.severity} ${x.what}: ${x.message}`);
  assert.ok(lines.some((s) => /^error layer .*its snapshot .* is missing/.test(s)), lines.join('\n'));
  assert.ok(lines.some((s) => /^error cache\/d+\.json: cache record is unreadable/.test(s)), lines.join('\n'));
  assert.ok(lines.some((s) => /^garbage cache\/.*tmp-999999999.*half-written/.test(s)), lines.join('\n'));
  await fsck(store, { repair: true });
  const after = await fsck(store);
  assert.equal(after.problems.filter((x) => x.severity === 'error'), []);
});

test.run();
