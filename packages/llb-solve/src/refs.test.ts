import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store, type LayerEntry } from '@pipekit/cas-store';
import { commitLayer, dropDuplicates, layersSettled, packPendingNow, pendingLayer, type Ref } from './refs.ts';

const entry = (n: string, snapshot: string): LayerEntry => ({
  diffID: `sha256:${n.repeat(64)}`,
  size: 1,
  blob: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${n.repeat(64)}`, size: 1 },
  snapshot,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a pending layer has its snapshot at once and its digests once packed; layersSettled packs it now', async () => {
  let calls = 0;
  let done!: (e: LayerEntry) => void;
  const l = pendingLayer('s1', () => (calls++, new Promise((r) => (done = r))));
  assert.is(l.snapshot, 's1');
  assert.is(l.diffID, '');
  assert.is(calls, 0, 'not packed at once');
  const ref: Ref = { kind: 'layers', layers: [entry('a', 's0'), l] };
  let settled = false;
  const waiting = layersSettled([ref]).then(() => (settled = true));
  await sleep(1);
  assert.is(calls, 1, 'a waiter in a hurry starts it');
  assert.not.ok(settled, 'and waits for it');
  done(entry('b', 's1'));
  await waiting;
  assert.is(l.diffID, `sha256:${'b'.repeat(64)}`);
  assert.is(l.blob.digest, l.diffID);
  await layersSettled([ref]);
  assert.is(calls, 1, 'packed once');
});

test('a waiter in no hurry leaves the packing to the timer', async () => {
  let calls = 0;
  const l = pendingLayer('s2', async () => (calls++, entry('c', 's2')));
  const waiting = layersSettled([{ kind: 'layers', layers: [l] }], false);
  await sleep(1);
  assert.is(calls, 0, 'not yet');
  await waiting;
  assert.is(calls, 1, 'packed once the delay is over');
  assert.is(l.diffID, `sha256:${'c'.repeat(64)}`);
});

test('packPendingNow starts every pending layer', async () => {
  let calls = 0;
  const ls = [pendingLayer('x', async () => (calls++, entry('d', 'x'))), pendingLayer('y', async () => (calls++, entry('e', 'y')))];
  packPendingNow();
  await sleep(1);
  assert.is(calls, 2);
  await layersSettled([{ kind: 'layers', layers: ls }], false);
});

test('a pending layer takes the indexed entry, snapshot included, when the layer was there', async () => {
  const l = pendingLayer('mine', async () => entry('f', 'theirs'));
  await layersSettled([{ kind: 'layers', layers: [l] }]);
  assert.is(l.snapshot, 'theirs');
});

test('layersSettled rejects when packing failed; directories and plain layers settle at once', async () => {
  const l = pendingLayer('s', () => Promise.reject(new Error('disk full')));
  await layersSettled([{ kind: 'dir', dir: '/x', exclude: [] }, { kind: 'layers', layers: [entry('g', 'sg')] }]);
  try {
    await layersSettled([{ kind: 'layers', layers: [l] }]);
    assert.unreachable('should reject');
  } catch (err) {
    assert.match(String(err), /disk full/);
  }
});

test('commitLayer: a layer the store had already keeps its entry; dropDuplicates then removes the new snapshot', async () => {
  const store = await Store.open(await fs.mkdtemp(path.join(os.tmpdir(), 'refs-')));
  const layerOf = async (content: string) => {
    const tmp = await store.snapshots.prepare();
    await fs.writeFile(path.join(tmp.dir, 'f'), content);
    return commitLayer(store, tmp.id);
  };
  const a = await layerOf('same');
  const b = await layerOf('same');
  const mine = b.snapshot as string;
  await layersSettled([{ kind: 'layers', layers: [a, b] }]);
  assert.is(b.diffID, a.diffID);
  assert.is(b.snapshot, a.snapshot, 'the indexed snapshot');
  assert.ok(await store.snapshots.exists(mine), 'kept while the build may read it');
  await dropDuplicates(store);
  assert.not.ok(await store.snapshots.exists(mine));
  assert.ok(await store.snapshots.exists(a.snapshot as string));
  await fs.rm(store.dir, { recursive: true, force: true });
});

test.run();
