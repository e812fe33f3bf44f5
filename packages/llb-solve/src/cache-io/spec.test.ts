import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCacheSpec } from './spec.ts';
import { buildCacheConfig, chainOf, type ExportRecord } from './config.ts';
import type { LayerEntry } from '@pipekit/cas-store';

test('cache specs: buildx syntax, defaults, and the errors', () => {
  assert.equal(parseCacheSpec('type=local,dest=/c,mode=max,cache-mounts=true', 'to'), { type: 'local', dir: '/c', tag: 'latest', mode: 'max', cacheMounts: true, ignoreError: false });
  assert.equal(parseCacheSpec('type=registry,ref=r.example/app:cache', 'from'), { type: 'registry', ref: 'r.example/app:cache', tag: 'latest', mode: 'min', cacheMounts: false, ignoreError: false });
  assert.is(parseCacheSpec('r.example/app:1', 'from').ref, 'r.example/app:1');
  assert.is(parseCacheSpec('type=local,src=/c,tag=v2', 'from').tag, 'v2');
  assert.throws(() => parseCacheSpec('type=gha', 'to'), /--cache-to type=gha: unsupported cache type "gha"/);
  assert.throws(() => parseCacheSpec('type=local', 'to'), /needs dest=DIR/);
  assert.throws(() => parseCacheSpec('type=inline,mode=max', 'to'), /inline cache supports only mode=min/);
  assert.throws(() => parseCacheSpec('type=local,dest=/c,mode=all', 'to'), /mode must be min or max/);
});

const layer = (n: number): LayerEntry => {
  const d = `sha256:${String(n).repeat(64)}`;
  return { diffID: d, size: n, blob: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d, size: n }, snapshot: null };
};

test('cache config: chains share their common layers; a record names the top of each output', () => {
  const recs: ExportRecord[] = [
    { key: 'sha256:k1', description: 'base', createdAt: 't', outputs: [[layer(1)]] },
    { key: 'sha256:k2', description: 'step', createdAt: 't', outputs: [[layer(1), layer(2)]] },
    { key: 'sha256:k3', description: 'other', createdAt: 't', outputs: [[layer(1), layer(3)], []] },
  ];
  const { config, blobs } = buildCacheConfig(recs);
  assert.is(config.layers.length, 3);
  assert.is(blobs.length, 3);
  assert.equal(config.records.map((r) => r.outputs.map((o) => o.layer)), [[0], [1], [2, -1]]);
  assert.equal(chainOf(config, 2).map((c) => c.diffID), [layer(1).diffID, layer(3).diffID]);
  assert.is(config.layers[1].annotations['containerd.io/uncompressed'], layer(2).diffID);
});

test.run();
