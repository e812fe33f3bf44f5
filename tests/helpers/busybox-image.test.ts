import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { gunzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { buildBusyboxLayout, pushBusybox } from './busybox-image.ts';
import { startRegistry, type TestRegistry } from './registry.ts';

let work = '';
let layout = '';
let digest = '';
let reg: TestRegistry | undefined;

test.before(async () => {
  work = await fs.mkdtemp(path.join(tmpdir(), 'pipekit-bbtest-'));
  layout = path.join(work, 'layout');
  digest = (await buildBusyboxLayout(layout)).manifestDigest;
});
test.after(async () => {
  await reg?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blob = (d: string) => fs.readFile(path.join(layout, 'blobs', 'sha256', d.slice(7)));

test('skopeo inspect accepts the layout', () => {
  const info = JSON.parse(run('skopeo', ['inspect', `oci:${layout}:latest`]));
  assert.is(info.Digest, digest);
  assert.is(info.Os, 'linux');
  assert.is(info.Architecture, 'amd64');
  assert.is(info.Layers.length, 1);
  assert.equal(info.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
});

test('umoci unpack gives a rootfs with bin/busybox and bin/sh', async () => {
  const bundle = path.join(work, 'bundle');
  const rootless = process.getuid?.() === 0 ? [] : ['--rootless'];
  run('umoci', ['unpack', ...rootless, '--image', `${layout}:latest`, bundle]);
  const rootfs = path.join(bundle, 'rootfs');
  const bb = await fs.lstat(path.join(rootfs, 'bin/busybox'));
  assert.ok(bb.isFile());
  assert.is(bb.mode & 0o777, 0o755);
  assert.is(await fs.readlink(path.join(rootfs, 'bin/sh')), 'busybox');
  assert.is((await fs.lstat(path.join(rootfs, 'tmp'))).mode & 0o7777, 0o1777);
  assert.match(await fs.readFile(path.join(rootfs, 'etc/passwd'), 'utf8'), /^root:x:0:0:root:\/root:\/bin\/sh\nnobody:x:65534:65534:nobody:\/nonexistent:\/bin\/false\n$/);
  assert.is(await fs.readFile(path.join(rootfs, 'etc/group'), 'utf8'), 'root:x:0:\nnogroup:x:65534:\n');
  for (const d of ['root', 'var']) assert.ok((await fs.stat(path.join(rootfs, d))).isDirectory());
});

test('config, diff_ids and tar headers are as specified and deterministic', async () => {
  const manifest = JSON.parse((await blob(digest)).toString());
  const config = JSON.parse((await blob(manifest.config.digest)).toString());
  assert.equal(config.config.Cmd, ['sh']);
  assert.is(config.history.length, 1);
  const tar = gunzipSync(await blob(manifest.layers[0].digest));
  assert.equal(config.rootfs, { type: 'layers', diff_ids: [sha256(tar)] });

  const headers: { name: string; type: string; mode: number; uid: number; gid: number; mtime: number; linkname: string | null }[] = [];
  const extract = tarStream.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      headers.push({ name: h.name, type: h.type, mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime.getTime(), linkname: h.linkname });
      entry.resume();
    }
  })();
  extract.end(tar);
  await done;
  const names = headers.map((h) => h.name);
  assert.equal(names, [...names].sort(), 'entries sorted');
  assert.ok(headers.every((h) => h.uid === 0 && h.gid === 0 && h.mtime === 0), 'uid/gid 0, mtime 0');
  const applets = run('/bin/busybox', ['--list']).split('\n').filter((a) => a && a !== 'busybox');
  const links = headers.filter((h) => h.type === 'symlink');
  assert.is(links.length, applets.length);
  assert.ok(links.every((l) => l.linkname === 'busybox' && l.name.startsWith('bin/')));

  const again = await buildBusyboxLayout(path.join(work, 'again'));
  assert.is(again.manifestDigest, digest, 'same inputs, same digest');
  const custom = await buildBusyboxLayout(layout, { tag: 'custom', env: ['A=1'], cmd: ['echo', 'hi'] });
  assert.is.not(custom.manifestDigest, digest);
  const index = JSON.parse(await fs.readFile(path.join(layout, 'index.json'), 'utf8'));
  assert.equal(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name']), ['latest', 'custom']);
  const info = JSON.parse(run('skopeo', ['inspect', '--config', `oci:${layout}:custom`]));
  assert.equal(info.config.Env, ['A=1']);
  assert.equal(info.config.Cmd, ['echo', 'hi']);
});

test('pushBusybox pushes an image skopeo can read back from the registry', async () => {
  reg = await startRegistry();
  const pushed = await pushBusybox(reg.host, 'tools/busybox:1');
  assert.is(pushed.manifestDigest, digest);
  const info = JSON.parse(run('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/tools/busybox:1`]));
  assert.is(info.Digest, digest);
  run('skopeo', ['copy', '--src-tls-verify=false', `docker://${reg.host}/tools/busybox:1`, `oci:${path.join(work, 'copied')}:x`]);
});

test.run();
