import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Store } from './store.ts';
import { commitSnapshot, usableLayer } from './layers.ts';
import { packLayer } from './layer-pack.ts';
import { reviseLayer } from './layer-revise.ts';
import { Lease, markInUse } from './inuse.ts';

async function layer(): Promise<{ store: Store; lease: Lease; prev: Awaited<ReturnType<typeof commitSnapshot>> }> {
  const store = await Store.open(await fs.mkdtemp(path.join(os.tmpdir(), 'revise-')));
  const tmp = await store.snapshots.prepare();
  await fs.writeFile(path.join(tmp.dir, 'a.txt'), 'a\n');
  await fs.writeFile(path.join(tmp.dir, 'b.txt'), 'b\n');
  // made by an earlier build: this one's lease has not marked it
  const prev = await commitSnapshot(store, tmp.id);
  return { store, lease: await Lease.begin(store), prev };
}

const revision = async (dir: string) => {
  await fs.writeFile(path.join(dir, 'b.txt'), 'B, revised\n');
  return { tar: packLayer(dir), bytes: 13 };
};

test('a revision takes the previous snapshot: the new layer is whole, the old one keeps its blob only', async () => {
  const { store, lease, prev } = await layer();
  const next = await reviseLayer(store, prev, revision);
  assert.ok(next);
  assert.is.not(next.diffID, prev.diffID);
  assert.ok(await usableLayer(store, next));
  assert.is(await fs.readFile(path.join(store.snapshots.dir(next.snapshot as string), 'b.txt'), 'utf8'), 'B, revised\n');
  assert.is(await fs.readFile(`${store.snapshots.dir(next.snapshot as string)}.size`, 'utf8'), '13');
  const old = await store.layers.get(prev.diffID);
  assert.is(old?.snapshot, null);
  assert.ok(await store.blobs.has(prev.blob.digest));
  assert.not.ok(await store.snapshots.exists(prev.snapshot as string));
  await lease.end(store);
});

test('a snapshot another live build uses, or this one, is not taken', async () => {
  const { store, lease, prev } = await layer();
  // another process's lease naming the snapshot (this test's own pid is alive)
  await fs.writeFile(path.join(store.dir, 'run', `${process.pid}-0000other.inuse`), `{"pid":${process.pid},"startedAt":1}\n{"snapshot":"${prev.snapshot}"}\n`);
  assert.is(await reviseLayer(store, prev, revision), undefined);
  await fs.rm(path.join(store.dir, 'run', `${process.pid}-0000other.inuse`));
  // this build uses the layer itself (a cache hit marks it)
  await markInUse(store, 'layer', [prev.diffID]);
  assert.is(await reviseLayer(store, prev, revision), undefined);
  assert.ok(await usableLayer(store, (await store.layers.get(prev.diffID))!), 'nothing changed');
  await lease.end(store);
});

test('a revision that fails leaves no snapshot behind, and the old layer can still be made from its blob', async () => {
  const { store, lease, prev } = await layer();
  const err = await reviseLayer(store, prev, async () => {
    throw new Error('disk full');
  }).then(() => undefined, (e: Error) => e);
  assert.match(String(err), /disk full/);
  assert.equal(await fs.readdir(path.join(store.snapshots.root, 'tmp')), []);
  assert.is((await store.layers.get(prev.diffID))?.snapshot, null);
  assert.ok(await store.blobs.has(prev.blob.digest));
  await lease.end(store);
});

test.run();
