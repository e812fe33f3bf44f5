import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Store } from './store.ts';
import { commitSnapshot, EMPTY_DIFF_ID, usableLayer } from './layers.ts';
import { packLayer } from './layer-pack.ts';
import { Lease, readInUse } from './inuse.ts';

const tempStore = async () => Store.open(await fs.mkdtemp(path.join(os.tmpdir(), 'layers-')));

async function sha256Of(chunks: AsyncIterable<Buffer>): Promise<string> {
  const h = createHash('sha256');
  for await (const c of chunks) h.update(c);
  return `sha256:${h.digest('hex')}`;
}

test('EMPTY_DIFF_ID is the digest of what packing an empty snapshot gives', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'empty-'));
  assert.is(await sha256Of(packLayer(dir)), EMPTY_DIFF_ID);
});

test('an empty snapshot commits to the one empty layer: made once, then reused and marked in use', async () => {
  const store = await tempStore();
  const first = await commitSnapshot(store, (await store.snapshots.prepare()).id);
  assert.is(first.diffID, EMPTY_DIFF_ID);
  assert.ok(await usableLayer(store, first));
  const lease = await Lease.begin(store);
  const tmp = await store.snapshots.prepare();
  const again = await commitSnapshot(store, tmp.id);
  assert.equal(again, first, 'the same entry, snapshot included');
  assert.not.ok(await fs.stat(tmp.dir).catch(() => undefined), 'the prepared snapshot is gone');
  const inUse = await readInUse(store.dir);
  assert.ok(inUse.ids.layer.has(first.blob.digest) && inUse.ids.snapshot.has(first.snapshot as string), 'this build uses it now');
  assert.equal(await fs.readdir(path.join(store.dir, 'snapshots', 'tmp')).catch(() => []), []);
  await lease.end(store);
});

test('an empty layer whose snapshot is gone is made again', async () => {
  const store = await tempStore();
  const first = await commitSnapshot(store, (await store.snapshots.prepare()).id);
  await store.snapshots.remove(first.snapshot as string);
  const again = await commitSnapshot(store, (await store.snapshots.prepare()).id);
  assert.is(again.diffID, EMPTY_DIFF_ID);
  assert.is.not(again.snapshot, first.snapshot);
  assert.ok(await usableLayer(store, again));
});

test('a snapshot with one entry is not the empty layer', async () => {
  const store = await tempStore();
  await commitSnapshot(store, (await store.snapshots.prepare()).id);
  const tmp = await store.snapshots.prepare();
  await fs.writeFile(path.join(tmp.dir, 'a'), '');
  const l = await commitSnapshot(store, tmp.id);
  assert.is.not(l.diffID, EMPTY_DIFF_ID);
});

test.run();
