import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PipekitError } from '@pipekit/wire';
import { mountOverlay, unmount } from './overlay.ts';
import { SnapshotStore } from './snapshots.ts';
import { isOpaqueDir, markOpaque } from './xattr.ts';

const made: string[] = [];
const mounted = new Set<string>();

async function isMounted(target: string): Promise<boolean> {
  const mounts = await fs.readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[1] === target);
}

async function mount(snaps: SnapshotStore, spec: Parameters<typeof mountOverlay>[1]): Promise<void> {
  mounted.add(spec.target);
  await mountOverlay(snaps, spec);
}

async function umount(target: string): Promise<void> {
  await unmount(target);
  mounted.delete(target);
}

test.after.each(async () => {
  // whatever a test left mounted (also when it failed) goes now
  for (const t of [...mounted].reverse()) {
    if (await isMounted(t)) await unmount(t);
    mounted.delete(t);
  }
});
test.after(async () => {
  for (const t of mounted) if (await isMounted(t)) await unmount(t);
  for (const d of made) {
    const mounts = await fs.readFile('/proc/self/mounts', 'utf8');
    if (mounts.includes(d)) continue; // never delete through a live mount
    await fs.rm(d, { recursive: true, force: true });
  }
});

type Fixture = { dir: string; snaps: SnapshotStore; lower: string; upper: string; scratch: string };

/** Two committed snapshots: `lower` (bottom) and `upper` (on top, with a whiteout and an opaque dir). */
async function fixture(): Promise<Fixture> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'overlay-test-'));
  made.push(dir);
  const snaps = new SnapshotStore(dir);
  const a = await snaps.prepare();
  await fs.mkdir(path.join(a.dir, 'etc'));
  await fs.writeFile(path.join(a.dir, 'etc', 'os-release'), 'lower\n');
  await fs.writeFile(path.join(a.dir, 'etc', 'hosts'), 'lower hosts\n');
  await fs.writeFile(path.join(a.dir, 'removed'), 'bye\n');
  await fs.mkdir(path.join(a.dir, 'replaced'));
  await fs.writeFile(path.join(a.dir, 'replaced', 'old'), 'old\n');
  await fs.symlink('etc/os-release', path.join(a.dir, 'link'));
  const lower = await snaps.commit(a.id);
  const b = await snaps.prepare();
  await fs.mkdir(path.join(b.dir, 'etc'));
  await fs.writeFile(path.join(b.dir, 'etc', 'os-release'), 'upper\n');
  execFileSync('mknod', [path.join(b.dir, 'removed'), 'c', '0', '0']);
  await fs.mkdir(path.join(b.dir, 'replaced'));
  await fs.writeFile(path.join(b.dir, 'replaced', 'new'), 'new\n');
  await markOpaque(path.join(b.dir, 'replaced'));
  await fs.writeFile(path.join(b.dir, 'added'), 'added\n');
  const upper = await snaps.commit(b.id);
  const scratch = path.join(dir, 'scratch');
  await fs.mkdir(scratch);
  return { dir, snaps, lower, upper, scratch };
}

async function view(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    for (const n of (await fs.readdir(path.join(root, rel))).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const st = await fs.lstat(path.join(root, r));
      if (st.isDirectory()) {
        out[`${r}/`] = '';
        await walk(r);
      } else if (st.isSymbolicLink()) out[r] = `-> ${await fs.readlink(path.join(root, r))}`;
      else if (st.isCharacterDevice()) out[r] = `char ${st.rdev}`;
      else out[r] = await fs.readFile(path.join(root, r), 'utf8');
    }
  };
  await walk('');
  return out;
}

const MERGED = {
  'added': 'added\n',
  'etc/': '',
  'etc/hosts': 'lower hosts\n',
  'etc/os-release': 'upper\n',
  'link': '-> etc/os-release',
  'replaced/': '',
  'replaced/new': 'new\n',
};

test('read-only mount of a chain of two snapshots', async () => {
  const f = await fixture();
  const target = path.join(f.scratch, 'ro');
  await mount(f.snaps, { layers: [f.lower, f.upper], target });
  assert.ok(await isMounted(target));
  assert.equal(await view(target), MERGED);
  assert.is(await fs.readFile(path.join(target, 'link'), 'utf8'), 'upper\n');
  try {
    await fs.writeFile(path.join(target, 'new-file'), 'x');
    assert.unreachable('a read-only view takes no writes');
  } catch (err) {
    assert.is((err as NodeJS.ErrnoException).code, 'EROFS');
  }
  await umount(target);
  assert.not.ok(await isMounted(target));
  assert.equal(await fs.readdir(target), []);
});

test('layer order matters: the last layer is on top', async () => {
  const f = await fixture();
  const target = path.join(f.scratch, 'swapped');
  await mount(f.snaps, { layers: [f.upper, f.lower], target });
  const v = await view(target);
  assert.is(v['etc/os-release'], 'lower\n');
  assert.is(v.removed, 'bye\n');
  assert.is(v['replaced/old'], 'old\n');
  assert.is(v['replaced/new'], 'new\n');
  await umount(target);
});

test('read-only mount of one snapshot', async () => {
  const f = await fixture();
  const one = path.join(f.scratch, 'one');
  await mount(f.snaps, { layers: [f.lower], target: one });
  assert.equal(Object.keys(await view(one)), ['etc/', 'etc/hosts', 'etc/os-release', 'link', 'removed', 'replaced/', 'replaced/old']);
  await umount(one);
  assert.equal(await fs.readdir(await f.snaps.emptyDir()), [], 'the empty lower stays empty');
});

test('read-write mount: the upper dir receives the changes', async () => {
  const f = await fixture();
  const target = path.join(f.scratch, 'rw');
  const upperDir = path.join(f.scratch, 'upper');
  const work = path.join(f.scratch, 'work');
  await fs.mkdir(upperDir);
  await fs.mkdir(work);
  await mount(f.snaps, { layers: [f.lower, f.upper], upper: { dir: upperDir, work }, target });
  assert.equal(await view(target), MERGED);
  await fs.writeFile(path.join(target, 'created'), 'created\n');
  await fs.appendFile(path.join(target, 'etc', 'hosts'), 'more\n');
  await fs.rm(path.join(target, 'added'));
  await fs.rm(path.join(target, 'replaced'), { recursive: true });
  await fs.mkdir(path.join(target, 'replaced'));
  await fs.writeFile(path.join(target, 'replaced', 'third'), '3\n');
  await umount(target);
  assert.not.ok(await isMounted(target));

  const up = await view(upperDir);
  assert.is(up.created, 'created\n');
  assert.is(up['etc/hosts'], 'lower hosts\nmore\n', 'copied up with the change');
  assert.is(up.added, 'char 0', 'deletion is a 0/0 char device');
  assert.is(up['replaced/third'], '3\n');
  assert.not.ok('replaced/new' in up);
  assert.ok(await isOpaqueDir(path.join(upperDir, 'replaced')), 'a recreated dir is opaque');
  assert.not.ok('etc/os-release' in up, 'untouched files are not copied up');
  // the lower snapshots are unchanged
  assert.is(await fs.readFile(path.join(f.snaps.dir(f.upper), 'added'), 'utf8'), 'added\n');
  assert.is(await fs.readFile(path.join(f.snaps.dir(f.lower), 'etc', 'hosts'), 'utf8'), 'lower hosts\n');

  // mounting again with the same upper shows the changes
  await mount(f.snaps, { layers: [f.lower, f.upper], upper: { dir: upperDir, work }, target });
  const v = await view(target);
  assert.is(v.created, 'created\n');
  assert.not.ok('added' in v);
  assert.equal(Object.keys(v).filter((k) => k.startsWith('replaced/')), ['replaced/', 'replaced/third']);
  await umount(target);
});

test('read-write mount with no lower layers', async () => {
  const f = await fixture();
  const target = path.join(f.scratch, 'scratch-rw');
  const upperDir = path.join(f.scratch, 'u2');
  const work = path.join(f.scratch, 'w2');
  await fs.mkdir(upperDir);
  await fs.mkdir(work);
  await mount(f.snaps, { layers: [], upper: { dir: upperDir, work }, target });
  await fs.writeFile(path.join(target, 'f'), 'f');
  await umount(target);
  assert.equal(await fs.readdir(upperDir), ['f']);
});

test('the mount target is created when missing', async () => {
  const f = await fixture();
  const target = path.join(f.scratch, 'deep', 'er', 'target');
  await mount(f.snaps, { layers: [f.lower], target });
  assert.ok(await isMounted(target));
  await umount(target);
});

test('a missing snapshot fails with a PipekitError naming the target', async () => {
  const f = await fixture();
  const target = path.join(f.scratch, 'bad');
  try {
    await mount(f.snaps, { layers: [f.lower, 'doesnotexist'], target });
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, PipekitError);
    assert.ok((err as Error).message.startsWith(`cannot mount overlay at ${target}: `), (err as Error).message);
  }
  assert.not.ok(await isMounted(target));
});

test('unmount of something not mounted does not throw', async () => {
  const f = await fixture();
  await unmount(f.scratch);
  await unmount(path.join(f.scratch, 'nope'));
});

test('a busy mount is detached lazily', async () => {
  const f = await fixture();
  const target = path.join(f.scratch, 'busy');
  await mount(f.snaps, { layers: [f.lower], target });
  const fh = await fs.open(path.join(target, 'etc', 'hosts'), 'r');
  try {
    await umount(target);
    assert.not.ok(await isMounted(target));
    assert.is((await fh.readFile('utf8')), 'lower hosts\n', 'open files keep working');
  } finally {
    await fh.close();
  }
});

test.run();
