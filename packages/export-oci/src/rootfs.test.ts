import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { IntegrityError } from '@pipekit/wire';
import { applyLayers } from './rootfs.ts';
import { packTrees } from './fs-tar.ts';
import { cleanup, layerTar, tempDir, type LayerFile } from './testing.ts';
import tarStream from 'tar-stream';

const layer = (files: LayerFile[], mtime = 0) => ({ label: 'test', tar: () => (async function* () { yield await layerTar(files, mtime); })() });
const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

test('later layers replace, .wh. deletes, an opaque dir hides what was below', async () => {
  const root = await tempDir();
  await applyLayers([
    layer([{ name: 'a/', type: 'directory' }, { name: 'a/old.txt', type: 'file', data: 'old' }, { name: 'b.txt', type: 'file', data: 'b' }, { name: 'c/', type: 'directory' }, { name: 'c/x', type: 'file', data: 'x' }]),
    layer([{ name: 'a/.wh.old.txt', type: 'file', data: '' }, { name: 'b.txt', type: 'file', data: 'new b', mode: 0o600 }, { name: 'c/', type: 'directory' }, { name: 'c/.wh..wh..opq', type: 'file', data: '' }, { name: 'c/y', type: 'file', data: 'y' }]),
  ], root);
  assert.not.ok(await exists(path.join(root, 'a/old.txt')));
  assert.ok(await exists(path.join(root, 'a')));
  assert.is(await fs.readFile(path.join(root, 'b.txt'), 'utf8'), 'new b');
  assert.is((await fs.stat(path.join(root, 'b.txt'))).mode & 0o777, 0o600);
  assert.equal((await fs.readdir(path.join(root, 'c'))).sort(), ['y']);
});

test('symlinks kept; writes through a parent symlink stay inside the root', async () => {
  const root = await tempDir();
  await applyLayers([
    layer([{ name: 'usr/', type: 'directory' }, { name: 'usr/lib/', type: 'directory' }, { name: 'lib', type: 'symlink', linkname: '/usr/lib' }]),
    layer([{ name: 'lib/libx.so', type: 'file', data: 'x' }]),
  ], root);
  assert.is(await fs.readlink(path.join(root, 'lib')), '/usr/lib');
  assert.is(await fs.readFile(path.join(root, 'usr/lib/libx.so'), 'utf8'), 'x');
  try {
    await applyLayers([layer([{ name: '../escape', type: 'file', data: 'x' }])], await tempDir());
    assert.unreachable();
  } catch (err) {
    assert.instance(err, IntegrityError);
  }
});

test('a directory replaced within one layer is resolved again: a later write through it stays inside the root', async () => {
  const root = await tempDir();
  // an absolute link target that exists on the host: a write that followed it there would escape
  const host = await tempDir();
  await applyLayers([
    layer([
      { name: 'x/', type: 'directory' },
      { name: 'x/f1', type: 'file', data: '1' },
      { name: 'x', type: 'symlink', linkname: host },
      { name: 'x/f2', type: 'file', data: '2' },
      { name: 'y/', type: 'directory' },
      { name: 'y/g1', type: 'file', data: 'g' },
      { name: '.wh.y', type: 'file', data: '' },
      { name: 'y/g2', type: 'file', data: 'g' },
    ]),
  ], root);
  assert.equal(await fs.readdir(host), [], 'nothing written outside the root');
  assert.is(await fs.readFile(path.join(root, host, 'f2'), 'utf8'), '2');
  assert.equal(await fs.readdir(path.join(root, 'y')), ['g2']);
});

test('mtimes clamped to the epoch; packTrees gives a sorted tar of the tree under a prefix', async () => {
  const root = await tempDir();
  await applyLayers([layer([{ name: 'z.txt', type: 'file', data: 'z' }, { name: 'a/', type: 'directory' }, { name: 'a/b', type: 'file', data: 'b' }], 2_000_000_000)], root, { epoch: 1_700_000_000 });
  assert.is((await fs.stat(path.join(root, 'z.txt'))).mtimeMs, 1_700_000_000_000);
  const parts: Buffer[] = [];
  for await (const c of packTrees([{ dir: root, prefix: 'linux_amd64' }])) parts.push(Buffer.from(c));
  const ex = tarStream.extract();
  const names: string[] = [];
  const done = (async () => {
    for await (const e of ex) {
      names.push(e.header.name);
      e.resume();
    }
  })();
  ex.end(Buffer.concat(parts));
  await done;
  assert.equal(names, ['linux_amd64/', 'linux_amd64/a/', 'linux_amd64/a/b', 'linux_amd64/z.txt']);
});

test.after(cleanup);

test.run();
