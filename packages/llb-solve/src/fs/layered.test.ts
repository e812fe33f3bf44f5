// LayeredRoot must answer as the kernel's overlay does: every question is asked
// of both, over layers with whiteouts, opaque dirs, replaced types and symlinks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lstatSync, promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { markOpaque } from '@pipekit/cas-store';
import { inUserNamespace } from '@pipekit/wire';
import { LayeredRoot } from './layered.ts';
import { resolveInRoot } from './resolve.ts';

const made: string[] = [];
let mounted = '';
test.after(async () => {
  if (mounted) execFileSync('umount', [mounted]);
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

type Layer = Record<string, string | { link: string } | 'dir' | 'whiteout' | 'opaque'>;

async function makeLayer(base: string, name: string, entries: Layer): Promise<string> {
  const dir = path.join(base, name);
  await fs.mkdir(dir);
  for (const [p, what] of Object.entries(entries)) {
    const abs = path.join(dir, p);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    if (what === 'dir') await fs.mkdir(abs, { recursive: true });
    else if (what === 'opaque') {
      await fs.mkdir(abs, { recursive: true });
      await markOpaque(abs);
    } else if (what === 'whiteout') execFileSync('mknod', [abs, 'c', '0', '0']);
    else if (typeof what === 'string') await fs.writeFile(abs, what);
    else await fs.symlink(what.link, abs);
  }
  return dir;
}

const LAYERS: Layer[] = [
  {
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n',
    'etc/group': 'root:x:0:\n',
    'usr/bin/tool': 'v1',
    'usr/lib/a': 'a',
    'usr/lib/b': 'b',
    'opt/old/file': 'old',
    'var/run': { link: '../run' },
    'replaced': 'a file below',
    'gone/deep/file': 'x',
    'home/app': 'dir',
    'stack/q': 'bottom',
  },
  {
    'usr/lib/b': 'whiteout',
    'usr/lib/c': 'c',
    'opt/old': 'opaque',
    'opt/old/new': 'new',
    'replaced/child': 'now a dir',
    'gone': 'whiteout',
    'run/lock': 'dir',
    'bin': { link: 'usr/bin' },
    'abs': { link: '/usr/lib' },
    'stack': 'a file in the middle',
  },
  {
    'usr/bin/tool': 'v3',
    'etc/passwd': { link: '/etc/passwd.real' },
    'etc/passwd.real': 'root:x:0:0:root:/root:/bin/sh\nweb:x:33:33::/var/www:/bin/sh\n',
    'loop': { link: 'loop' },
    'escape': { link: '../../../../etc' },
    'stack/r': 'top',
  },
];

const PATHS = [
  '/', '/etc', '/etc/passwd', '/etc/passwd.real', '/etc/group', '/usr/bin/tool', '/usr/lib', '/usr/lib/a', '/usr/lib/b',
  '/usr/lib/c', '/opt/old', '/opt/old/file', '/opt/old/new', '/var/run', '/run/lock', '/replaced', '/replaced/child',
  '/gone', '/gone/deep', '/gone/deep/file', '/bin', '/missing', '/missing/x', '/home/app', '/abs', '/escape', '/stack', '/stack/q', '/stack/r',
];

function kind(p: string): string {
  try {
    const st = lstatSync(p);
    return st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : st.isFile() ? `file:${readFileSync(p, 'utf8')}` : 'other';
  } catch {
    return 'none';
  }
}

test('answers as the mounted overlay does', async () => {
  if (inUserNamespace()) return; // trusted.* xattrs and mknod need real root
  const base = await fs.mkdtemp(path.join(tmpdir(), 'layered-test-'));
  made.push(base);
  const dirs: string[] = [];
  for (const [i, l] of LAYERS.entries()) dirs.push(await makeLayer(base, `l${i}`, l));
  const target = path.join(base, 'merged');
  await fs.mkdir(target);
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${[...dirs].reverse().join(':')}`, target]);
  mounted = target;
  // sealed twice: the second view answers from what the first looked up
  for (const sealed of [false, true, true]) {
    const lr = new LayeredRoot(dirs, { sealed });
    for (const p of PATHS) {
      const e = lr.lstat(p);
      assert.is(e ? kind(e.host) : 'none', kind(path.join(target, p)), `lstat ${p} (sealed ${sealed})`);
      for (const follow of [true, false]) {
        const viaKernel = path.posix.normalize(`/${path.relative(target, await resolveInRoot(target, p, follow))}`);
        assert.is(lr.resolve(p, follow), viaKernel, `resolve ${p} (follow ${follow}, sealed ${sealed})`);
      }
    }
    assert.is(lr.readText('/etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nweb:x:33:33::/var/www:/bin/sh\n');
    assert.is(lr.readText('/usr/lib'), undefined);
    assert.is(lr.readText('/gone/deep/file'), undefined);
    assert.throws(() => lr.resolve('/loop/x'), /too many levels/);
  }
});

test('a sealed chain looks each layer up once: a view with a layer more reads only the new one', async () => {
  const base = await fs.mkdtemp(path.join(tmpdir(), 'layered-sealed-'));
  made.push(base);
  const low = await makeLayer(base, 'low', { 'etc/os': 'debian', 'bin/sh': 'x' });
  assert.is(new LayeredRoot([low], { sealed: true }).lstat('/etc/os')?.host, path.join(low, 'etc/os'));
  assert.is(new LayeredRoot([low], { sealed: true }).lstat('/etc/hosts'), undefined);
  // committed snapshots never change: a change under one goes unseen by sealed views (not by plain ones)
  await fs.rm(path.join(low, 'etc/os'));
  await fs.writeFile(path.join(low, 'etc/hosts'), '');
  const top = await makeLayer(base, 'top', { 'etc/new': 'y' });
  const grown = new LayeredRoot([low, top], { sealed: true });
  assert.is(grown.lstat('/etc/os')?.host, path.join(low, 'etc/os'));
  assert.is(grown.lstat('/etc/hosts'), undefined);
  assert.is(grown.lstat('/etc/new')?.host, path.join(top, 'etc/new'));
  const plain = new LayeredRoot([low, top]);
  assert.is(plain.lstat('/etc/os'), undefined);
  assert.is(plain.lstat('/etc/hosts')?.host, path.join(low, 'etc/hosts'));
});

test('an empty chain has nothing but its root', () => {
  const lr = new LayeredRoot([]);
  assert.is(lr.lstat('/etc'), undefined);
  assert.is(lr.readText('/etc/passwd'), undefined);
  assert.is(lr.resolve('/a/../b'), '/b');
});

test.run();
