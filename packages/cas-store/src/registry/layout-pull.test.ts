import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IntegrityError, NotFoundError, type Platform } from '@pipekit/wire';
import { buildBusyboxLayout } from '../../../../tests/helpers/busybox-image.ts';
import { BlobStore } from '../blobs.ts';
import { MediaTypes, parseLayoutReference, pullFromLayout } from './index.ts';

const AMD64: Platform = { os: 'linux', architecture: 'amd64', variant: '' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
let work = '';
let layout = '';
let digest = '';

test.before(async () => {
  work = await fs.mkdtemp(path.join(tmpdir(), 'pipekit-layout-'));
  layout = path.join(work, 'layout');
  digest = (await buildBusyboxLayout(layout)).manifestDigest;
});
test.after(async () => {
  if (work) await fs.rm(work, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let n = 0;
const store = () => new BlobStore(path.join(work, `store${n++}`));
async function rejects(p: Promise<unknown>, type: Function, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, type, `got ${(err as Error).name}: ${(err as Error).message}`);
    assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable(`expected ${type.name} matching ${re}`);
}

test('parseLayoutReference', () => {
  assert.equal(parseLayoutReference('oci-layout:///a/b'), { dir: '/a/b', tagOrDigest: 'latest' });
  assert.equal(parseLayoutReference('oci-layout:///a/b:v1'), { dir: '/a/b', tagOrDigest: 'v1' });
  assert.equal(parseLayoutReference(`oci-layout://./x@${'sha256:' + 'b'.repeat(64)}`), { dir: './x', tagOrDigest: `sha256:${'b'.repeat(64)}` });
  assert.equal(parseLayoutReference('/c:d/e'), { dir: '/c:d/e', tagOrDigest: 'latest' });
});

test('pullFromLayout by tag and by digest stores verified blobs', async () => {
  const s = store();
  const r = await pullFromLayout(s, layout, 'latest', AMD64);
  assert.is(r.manifestDigest, digest);
  assert.is(r.config.architecture, 'amd64');
  for (const d of [r.manifestDigest, r.configDigest, r.layers[0].digest]) assert.is(sha256(await s.read(d)), d);
  const byDigest = await pullFromLayout(store(), layout, digest, AMD64);
  assert.is(byDigest.configDigest, r.configDigest);
});

test('unknown tag, wrong platform, missing layout', async () => {
  await rejects(pullFromLayout(store(), layout, 'nope', AMD64), NotFoundError, /no manifest tagged "nope" \(tags: latest\)/);
  await rejects(pullFromLayout(store(), layout, 'latest', ARM64), NotFoundError, /is for linux\/amd64, not linux\/arm64/);
  await rejects(pullFromLayout(store(), path.join(work, 'absent'), 'latest', AMD64), NotFoundError, /not an OCI image layout/);
});

test('a nested index is followed to the platform', async () => {
  const manifestBytes = await fs.readFile(path.join(layout, 'blobs/sha256', digest.slice(7)));
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [{ mediaType: MediaTypes.ociManifest, digest, size: manifestBytes.length, platform: { os: 'linux', architecture: 'amd64' } }],
  });
  await fs.writeFile(path.join(layout, 'blobs/sha256', sha256(index).slice(7)), index);
  const top = JSON.parse(await fs.readFile(path.join(layout, 'index.json'), 'utf8'));
  top.manifests.push({ mediaType: MediaTypes.ociIndex, digest: sha256(index), size: index.length, annotations: { 'org.opencontainers.image.ref.name': 'multi' } });
  await fs.writeFile(path.join(layout, 'index.json'), JSON.stringify(top));
  const r = await pullFromLayout(store(), layout, 'multi', AMD64);
  assert.is(r.manifestDigest, digest);
  assert.is(r.indexDigest, sha256(index));
  await rejects(pullFromLayout(store(), layout, 'multi', ARM64), NotFoundError, /no manifest for platform linux\/arm64; available: linux\/amd64/);
});

test('a corrupt layer in the layout is refused', async () => {
  const copy = path.join(work, 'corrupt');
  await fs.cp(layout, copy, { recursive: true });
  const manifest = JSON.parse(await fs.readFile(path.join(copy, 'blobs/sha256', digest.slice(7)), 'utf8'));
  const file = path.join(copy, 'blobs/sha256', manifest.layers[0].digest.slice(7));
  const bytes = await fs.readFile(file);
  bytes[200] ^= 1;
  await fs.writeFile(file, bytes);
  const s = store();
  await rejects(pullFromLayout(s, copy, 'latest', AMD64), IntegrityError, /failed verification/);
  assert.not.ok(await s.has(digest));
});

test.run();
