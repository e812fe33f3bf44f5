import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LayerEntry } from '@pipekit/cas-store';
import { layersSettled, pendingLayer, type Ref } from './refs.ts';

const entry = (n: string, snapshot: string): LayerEntry => ({
  diffID: `sha256:${n.repeat(64)}`,
  size: 1,
  blob: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${n.repeat(64)}`, size: 1 },
  snapshot,
});

test('a pending layer has its snapshot at once and its digests once packed', async () => {
  let done!: (e: LayerEntry) => void;
  const l = pendingLayer('s1', new Promise((r) => (done = r)));
  assert.is(l.snapshot, 's1');
  assert.is(l.diffID, '');
  const ref: Ref = { kind: 'layers', layers: [entry('a', 's0'), l] };
  let settled = false;
  const waiting = layersSettled([ref]).then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 5));
  assert.not.ok(settled, 'waits for the packing');
  done(entry('b', 's1'));
  await waiting;
  assert.is(l.diffID, `sha256:${'b'.repeat(64)}`);
  assert.is(l.blob.digest, l.diffID);
});

test('a pending layer takes the indexed entry, snapshot included, when the layer was there', async () => {
  const l = pendingLayer('mine', Promise.resolve(entry('c', 'theirs')));
  await layersSettled([{ kind: 'layers', layers: [l] }]);
  assert.is(l.snapshot, 'theirs');
});

test('layersSettled rejects when packing failed; directories and plain layers settle at once', async () => {
  const l = pendingLayer('s', Promise.reject(new Error('disk full')));
  await layersSettled([{ kind: 'dir', dir: '/x', exclude: [] }, { kind: 'layers', layers: [entry('d', 'sd')] }]);
  try {
    await layersSettled([{ kind: 'layers', layers: [l] }]);
    assert.unreachable('should reject');
  } catch (err) {
    assert.match(String(err), /disk full/);
  }
});

test.run();
