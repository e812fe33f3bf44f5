// export-oci end to end: hand-built ImageRecords over a temp store, exported to
// tarballs that the tools users point at images (skopeo, umoci, oci-image-tool)
// must accept. Needs skopeo, umoci, oci-image-tool and tar on PATH.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { BlobStore } from '@pipekit/cas-store';
import { IntegrityError, UsageError, WireFormatError } from '@pipekit/wire';
import { exportImages, layerMappingPath } from '../packages/export-oci/src/index.ts';
import { cleanup, fixture, imageRecord, storeLayer, tempDir } from '../packages/export-oci/src/testing.ts';

const run = async (cmd: string, args: string[]) => (await execa(cmd, args)).stdout;
const json = async (cmd: string, args: string[]) => JSON.parse(await run(cmd, args));
const untar = async (tarball: string) => {
  const dir = await tempDir('export-oci-untar-');
  await run('tar', ['-xf', tarball, '-C', dir]);
  return dir;
};
const rejects = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
};

test('oci export: skopeo reads image and config', async () => {
  const { storeDir, image } = await fixture();
  const out = path.join(await tempDir(), 'image.tar');
  const res = await exportImages([image], { type: 'oci', dest: out, storeDir });
  const info = await json('skopeo', ['inspect', `oci-archive:${out}`]);
  assert.is(info.Digest, res.digest);
  assert.is(info.Architecture, 'amd64');
  assert.is(info.Layers.length, 1);
  const cfg = await json('skopeo', ['inspect', '--config', `oci-archive:${out}`]);
  const rawConfig = await run('skopeo', ['inspect', '--raw', '--config', `oci-archive:${out}`]);
  assert.is(`sha256:${createHash('sha256').update(rawConfig).digest('hex')}`, res.configDigest);
  assert.equal(cfg.config.Env, image.config.config.Env);
  assert.equal(cfg.config.Cmd, ['/app/run.sh']);
  assert.is(cfg.config.WorkingDir, '/app');
});

test('oci export: umoci unpacks the files, oci-image-tool validates the layout', async () => {
  const { storeDir, image } = await fixture();
  const out = path.join(await tempDir(), 'image.tar');
  await exportImages([image], { type: 'oci', dest: out, storeDir });
  const dir = await untar(out);
  const bundle = path.join(await tempDir(), 'bundle');
  await run('umoci', ['unpack', '--rootless', '--image', `${dir}:latest`, bundle]);
  const rootfs = path.join(bundle, 'rootfs');
  assert.is(await fs.readFile(path.join(rootfs, 'app/hello.txt'), 'utf8'), 'hello from the layer\n');
  assert.is(await fs.readlink(path.join(rootfs, 'app/link')), 'hello.txt');
  assert.is((await fs.stat(path.join(rootfs, 'app/run.sh'))).mode & 0o777, 0o755);
  assert.ok((await fs.stat(path.join(rootfs, 'etc'))).isDirectory());
  const v = await execa('oci-image-tool', ['validate', '--type', 'image', '--ref', 'name=latest', dir], { reject: false });
  assert.is(v.exitCode, 0, v.stdout + v.stderr);
  assert.match(v.stdout + v.stderr, /Validation succeeded/);
});

test('oci export with a name: containerd and OCI ref annotations', async () => {
  const { storeDir, image } = await fixture();
  const out = path.join(await tempDir(), 'image.tar');
  await exportImages([image], { type: 'oci', dest: out, storeDir, name: 'example:v1' });
  const index = JSON.parse(await fs.readFile(path.join(await untar(out), 'index.json'), 'utf8'));
  assert.equal(index.manifests[0].annotations, {
    'io.containerd.image.name': 'docker.io/library/example:v1',
    'org.opencontainers.image.created': '2024-01-02T03:04:05Z',
    'org.opencontainers.image.ref.name': 'v1',
  });
  const info = await json('skopeo', ['inspect', `oci-archive:${out}:v1`]);
  assert.is(info.Os, 'linux');
});

test('docker export: manifest.json points at blobs in the tar, skopeo reads docker-archive', async () => {
  const { storeDir, image } = await fixture();
  const out = path.join(await tempDir(), 'image.tar');
  const res = await exportImages([image], { type: 'docker', dest: out, storeDir, name: 'example:latest' });
  const dir = await untar(out);
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'));
  assert.is(manifest.length, 1);
  assert.equal(manifest[0].RepoTags, ['example:latest']);
  assert.is(manifest[0].Config, `blobs/sha256/${res.configDigest.slice(7)}`);
  for (const p of [manifest[0].Config, ...manifest[0].Layers]) assert.ok((await fs.stat(path.join(dir, p))).isFile(), p);
  const repos = JSON.parse(await fs.readFile(path.join(dir, 'repositories'), 'utf8'));
  assert.equal(repos, { example: { latest: res.configDigest.slice(7) } });
  const info = await json('skopeo', ['inspect', `docker-archive:${out}`]);
  assert.equal(info.RepoTags, []); // skopeo lists registry tags here, none for an archive
  assert.is(info.Layers.length, 1);
  const cfg = await json('skopeo', ['inspect', '--config', `docker-archive:${out}`]);
  assert.equal(cfg.config.Cmd, ['/app/run.sh']);
  // the same archive is still a valid OCI layout
  assert.is((await json('skopeo', ['inspect', `oci-archive:${out}`])).Digest, res.digest);
});

test('second export reuses the stored gzip blob', async () => {
  const { storeDir, image, layer } = await fixture();
  const dir = await tempDir();
  const first = await exportImages([image], { type: 'oci', dest: path.join(dir, 'a.tar'), storeDir });
  const mapFile = layerMappingPath(storeDir, layer.diffID, 'gzip-6');
  const mapping = JSON.parse(await fs.readFile(mapFile, 'utf8'));
  assert.ok(await new BlobStore(storeDir).has(mapping.digest));
  const mtime = (await fs.stat(mapFile)).mtimeMs;
  const blobsBefore = (await new BlobStore(storeDir).list()).sort();
  const second = await exportImages([image], { type: 'oci', dest: path.join(dir, 'b.tar'), storeDir });
  assert.is(second.digest, first.digest);
  assert.is((await fs.stat(mapFile)).mtimeMs, mtime, 'mapping not rewritten');
  assert.equal((await new BlobStore(storeDir).list()).sort(), blobsBefore);
});

test('a mapping whose blob is gone is recompressed', async () => {
  const { storeDir, image, layer } = await fixture();
  const dir = await tempDir();
  const first = await exportImages([image], { type: 'oci', dest: path.join(dir, 'a.tar'), storeDir });
  const mapping = JSON.parse(await fs.readFile(layerMappingPath(storeDir, layer.diffID, 'gzip-6'), 'utf8'));
  await new BlobStore(storeDir).delete(mapping.digest);
  const second = await exportImages([image], { type: 'oci', dest: path.join(dir, 'b.tar'), storeDir });
  // same runtime, same zlib: the recompressed blob is the same one
  assert.is(second.digest, first.digest);
  assert.ok(await new BlobStore(storeDir).has(mapping.digest));
});

test('exporting twice gives byte-identical tarballs (oci and docker)', async () => {
  const { storeDir, image } = await fixture();
  const dir = await tempDir();
  for (const type of ['oci', 'docker'] as const) {
    await exportImages([image], { type, dest: path.join(dir, `${type}1.tar`), storeDir, name: 'example' });
    await exportImages([image], { type, dest: path.join(dir, `${type}2.tar`), storeDir, name: 'example' });
    const a = await fs.readFile(path.join(dir, `${type}1.tar`));
    const b = await fs.readFile(path.join(dir, `${type}2.tar`));
    assert.ok(a.equals(b), `${type} tarballs differ`);
  }
});

test('a corrupted blob fails with IntegrityError and leaves no dest', async () => {
  const { storeDir, image, layer } = await fixture();
  const dir = await tempDir();
  await exportImages([image], { type: 'oci', dest: path.join(dir, 'ok.tar'), storeDir });
  const { digest } = JSON.parse(await fs.readFile(layerMappingPath(storeDir, layer.diffID, 'gzip-6'), 'utf8'));
  const p = new BlobStore(storeDir).path(digest);
  const bytes = await fs.readFile(p);
  bytes[bytes.length - 3] ^= 0xff; // same size, different content
  await fs.chmod(p, 0o644);
  await fs.writeFile(p, bytes);
  const dest = path.join(dir, 'bad.tar');
  const err = await rejects(exportImages([image], { type: 'oci', dest, storeDir }));
  assert.instance(err, IntegrityError);
  assert.equal((await fs.readdir(dir)).sort(), ['ok.tar'], 'no dest and no temp file');
});

test('a corrupted uncompressed layer fails before anything is stored or written', async () => {
  const { storeDir, image, layer } = await fixture();
  const p = new BlobStore(storeDir).path(layer.diffID);
  const bytes = await fs.readFile(p);
  bytes[600] ^= 0xff;
  await fs.chmod(p, 0o644);
  await fs.writeFile(p, bytes);
  const dir = await tempDir();
  const err = await rejects(exportImages([image], { type: 'docker', dest: path.join(dir, 'x.tar'), storeDir }));
  assert.instance(err, IntegrityError);
  assert.equal(await fs.readdir(dir), []);
  assert.equal(await new BlobStore(storeDir).list(), [layer.diffID]);
});

test('rootfs.diff_ids that do not match the layers: WireFormatError', async () => {
  const { storeDir, image } = await fixture();
  image.config.rootfs.diff_ids = [`sha256:${'0'.repeat(64)}`];
  const dir = await tempDir();
  const err = await rejects(exportImages([image], { type: 'oci', dest: path.join(dir, 'x.tar'), storeDir }));
  assert.instance(err, WireFormatError);
  assert.match(err.message, /diff_ids/);
  assert.equal(await fs.readdir(dir), []);
});

test('two images with type docker: the buildx error', async () => {
  const { storeDir, image } = await fixture();
  const arm = imageRecord(storeDir, image.layers, { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
  const dir = await tempDir();
  const err = await rejects(exportImages([image, arm], { type: 'docker', dest: path.join(dir, 'x.tar'), storeDir }));
  assert.instance(err, UsageError);
  assert.is(err.message, 'docker exporter does not currently support exporting manifest lists');
  assert.equal(await fs.readdir(dir), []);
});

test('two images with type oci: an image index over both platforms', async () => {
  const { storeDir, image } = await fixture();
  const extra = await storeLayer(storeDir, [{ name: 'arm.txt', type: 'file', data: 'arm\n' }]);
  const arm = imageRecord(storeDir, [...image.layers, extra], { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
  const out = path.join(await tempDir(), 'multi.tar');
  const lines: string[] = [];
  const res = await exportImages([image, arm], { type: 'oci', dest: out, storeDir, name: 'example:multi', progress: (l) => lines.push(l) });
  assert.is(res.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.is(res.configDigest, '');
  assert.ok(lines.some((l) => l.startsWith(`exporting manifest list ${res.digest}`)));
  const dir = await untar(out);
  const top = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8'));
  assert.is(top.manifests.length, 1);
  assert.is(top.manifests[0].digest, res.digest);
  const nested = JSON.parse(await fs.readFile(path.join(dir, 'blobs/sha256', res.digest.slice(7)), 'utf8'));
  assert.equal(nested.manifests.map((m: { platform: unknown }) => m.platform), [
    { architecture: 'amd64', os: 'linux' },
    { architecture: 'arm64', os: 'linux', variant: 'v8' },
  ]);
  const raw = await json('skopeo', ['inspect', '--raw', `oci-archive:${out}`]);
  assert.is(raw.mediaType, 'application/vnd.oci.image.index.v1+json');
  for (const arch of ['amd64', 'arm64']) {
    const info = await json('skopeo', ['--override-arch', arch, 'inspect', `oci-archive:${out}`]);
    assert.is(info.Architecture, arch);
    assert.is(info.Layers.length, arch === 'amd64' ? 1 : 2);
  }
  const v = await execa('oci-image-tool', ['validate', '--type', 'image', '--ref', 'name=multi', dir], { reject: false });
  assert.is(v.exitCode, 0, v.stdout + v.stderr);
});

test.after(cleanup);

test.run();
