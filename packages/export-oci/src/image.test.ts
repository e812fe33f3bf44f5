import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BlobStore } from '@pipekit/cas-store';
import { UsageError } from '@pipekit/wire';
import { parseAnnotationOption } from './annotations.ts';
import { CompressPool } from './compress-pool.ts';
import { buildImage, type ExportContext, type ImageOptions } from './image.ts';
import { cleanup, fixture, imageRecord } from './testing.ts';

const opts = (over: Partial<ImageOptions> = {}): ImageOptions => ({ compression: 'gzip', force: false, ociTypes: true, rewriteTimestamp: true, annotations: [], ...over });
const ctxFor = (storeDir: string, epoch?: number, lines: string[] = []): ExportContext => ({ storeDir, blobs: new BlobStore(storeDir), pool: new CompressPool({ threads: 0 }), epoch, progress: (l) => lines.push(l), layers: new Map() });

test('one platform: the manifest is the top, with its platform', async () => {
  const { storeDir, image } = await fixture();
  const img = await buildImage([image], ctxFor(storeDir), opts());
  assert.is(img.top.digest, img.platforms[0].manifest.desc.digest);
  assert.equal(img.top.platform, { architecture: 'amd64', os: 'linux' });
  assert.is(img.configDigest, img.platforms[0].config.desc.digest);
});

test('epoch: created is the epoch and history of this build is clamped', async () => {
  const { storeDir, image } = await fixture();
  const img = await buildImage([image], ctxFor(storeDir, 1_000_000), opts());
  const cfg = JSON.parse(img.platforms[0].config.data.toString());
  assert.is(cfg.created, '1970-01-12T13:46:40Z');
  assert.equal(cfg.history.map((h: { created: string }) => h.created), ['1970-01-12T13:46:40Z']);
});

test('docker media types; zstd turns OCI types back on with a warning', async () => {
  const { storeDir, image } = await fixture();
  const dk = await buildImage([image], ctxFor(storeDir), opts({ ociTypes: false }));
  const m = JSON.parse(dk.platforms[0].manifest.data.toString());
  assert.equal([m.mediaType, m.config.mediaType, m.layers[0].mediaType], ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.container.image.v1+json', 'application/vnd.docker.image.rootfs.diff.tar.gzip']);
  const lines: string[] = [];
  const z = await buildImage([image], ctxFor(storeDir, undefined, lines), opts({ ociTypes: false, compression: 'zstd' }));
  assert.is(z.top.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.ok(lines.some((l) => l.startsWith('WARN: zstd')));
});

test('annotations land in manifest and index; refused where they cannot go', async () => {
  const { storeDir, image } = await fixture();
  const arm = imageRecord(storeDir, image.layers, { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
  const ann = ['annotation.m=1', 'annotation-index.i=2', 'annotation-manifest-descriptor[linux/arm64].d=3'].map((s) => parseAnnotationOption(s.split('=')[0], s.split('=')[1]));
  const img = await buildImage([image, arm], ctxFor(storeDir), opts({ annotations: ann }));
  const index = JSON.parse(img.index!.data.toString());
  assert.equal(index.annotations, { i: '2' });
  assert.equal(index.manifests.map((d: { annotations?: unknown }) => d.annotations), [undefined, { d: '3' }]);
  assert.equal(JSON.parse(img.platforms[1].manifest.data.toString()).annotations, { m: '1' });
  try {
    await buildImage([image], ctxFor(storeDir), opts({ annotations: ann }));
    assert.unreachable();
  } catch (err) {
    assert.instance(err, UsageError);
  }
});

test.after(cleanup);

test.run();
