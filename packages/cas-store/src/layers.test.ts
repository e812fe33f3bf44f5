import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Store } from './store.ts';
import { commitSnapshot, commitSnapshotEarly, EMPTY_DIFF_ID, usableLayer } from './layers.ts';
import { prune } from './prune.ts';
import { collectUsage } from './usage.ts';
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

/** A prepared snapshot holding `files` (name -> content), dated alike: two made across a second's turn pack the same. */
async function prepared(store: Store, files: Record<string, string>): Promise<{ id: string; dir: string }> {
  const tmp = await store.snapshots.prepare();
  for (const [name, data] of Object.entries(files)) {
    await fs.writeFile(path.join(tmp.dir, name), data);
    await fs.utimes(path.join(tmp.dir, name), 1_000_000_000, 1_000_000_000);
  }
  await fs.utimes(tmp.dir, 1_000_000_000, 1_000_000_000);
  return tmp;
}

/** commitSnapshotEarly for a snapshot with entries: its name, and its pack(). */
async function early(store: Store, tmpId: string) {
  const c = await commitSnapshotEarly(store, tmpId);
  if (!('pack' in c)) throw new Error('a snapshot with entries should be packed on demand');
  return c;
}

test('commitSnapshotEarly: the snapshot is final and in use before it is packed, into what commitSnapshot makes', async () => {
  const store = await tempStore();
  const lease = await Lease.begin(store);
  const { snapshot, pack } = await early(store, (await prepared(store, { a: 'x', b: 'y' })).id);
  assert.equal((await fs.readdir(store.snapshots.dir(snapshot))).sort(), ['a', 'b']);
  assert.ok((await readInUse(store.dir)).ids.snapshot.has(snapshot), 'marked in use at once');
  assert.equal(await store.layers.list(), [], 'not packed until asked');
  const entry = await pack();
  assert.is(await pack(), entry, 'packed once');
  assert.is(entry.snapshot, snapshot);
  assert.ok(await usableLayer(store, entry));
  assert.equal(await store.layers.get(entry.diffID), entry, 'indexed');
  assert.ok((await readInUse(store.dir)).ids.layer.has(entry.blob.digest));
  // the same files through the one-step commit: the same layer (found in the index)
  const again = await commitSnapshot(store, (await prepared(store, { a: 'x', b: 'y' })).id);
  assert.is(again.diffID, entry.diffID);
  await lease.end(store);
});

test('commitSnapshotEarly: a layer already indexed keeps its entry; the new snapshot stays until GC takes it', async () => {
  const store = await tempStore();
  const first = await commitSnapshot(store, (await prepared(store, { a: 'x' })).id);
  const lease = await Lease.begin(store);
  const { snapshot, pack } = await early(store, (await prepared(store, { a: 'x' })).id);
  const entry = await pack();
  assert.equal(entry, first, 'the indexed entry');
  assert.ok(await store.snapshots.exists(snapshot), 'left in place: a later step may be reading it');
  await prune(store, { all: true });
  assert.ok(await store.snapshots.exists(snapshot), 'in use while the build lasts');
  await lease.end(store);
  const rec = (await collectUsage(store)).find((r) => r.id === snapshot);
  assert.is(rec?.description, `unreferenced snapshot ${snapshot}`, 'a record GC takes once it is no longer fresh');
  assert.ok(await usableLayer(store, first));
});

test('commitSnapshot of a layer already indexed keeps the indexed copy and removes its own', async () => {
  const store = await tempStore();
  const first = await commitSnapshot(store, (await prepared(store, { a: 'x' })).id);
  const again = await commitSnapshot(store, (await prepared(store, { a: 'x' })).id);
  assert.equal(again, first);
  const names = (await fs.readdir(store.snapshots.root)).filter((n) => /^[0-9a-f]{10}$/.test(n));
  assert.equal(names, [first.snapshot], 'one snapshot');
});

test('commitSnapshotEarly: an empty snapshot is the empty layer at once', async () => {
  const store = await tempStore();
  const made = await commitSnapshot(store, (await store.snapshots.prepare()).id);
  const c = await commitSnapshotEarly(store, (await store.snapshots.prepare()).id);
  assert.ok('layer' in c);
  if ('layer' in c) assert.equal(c.layer, made);
  assert.is(c.snapshot, made.snapshot);
});

test.run();
