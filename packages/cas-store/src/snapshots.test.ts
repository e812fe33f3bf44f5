import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SnapshotStore } from './snapshots.ts';

const made: string[] = [];
async function store(): Promise<{ dir: string; snaps: SnapshotStore }> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'snapshots-test-'));
  made.push(dir);
  return { dir, snaps: new SnapshotStore(dir) };
}
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

test('root and dir()', async () => {
  const { dir, snaps } = await store();
  assert.is(snaps.root, path.join(dir, 'snapshots'));
  for (const id of ['abc', 'tmp/0123', 'empty']) assert.is(snaps.dir(id), path.join(dir, 'snapshots', id));
});

test('prepare gives fresh, distinct, empty 0755 directories under tmp/', async () => {
  const { snaps } = await store();
  const ids = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const p = await snaps.prepare();
    assert.match(p.id, /^tmp\/[0-9a-f-]+$/);
    assert.is(p.dir, snaps.dir(p.id));
    const st = await fs.stat(p.dir);
    assert.ok(st.isDirectory());
    assert.is(st.mode & 0o777, 0o755);
    assert.equal(await fs.readdir(p.dir), []);
    assert.not.ok(ids.has(p.id));
    ids.add(p.id);
  }
});

test('commit renames to a short final id keeping the content', async () => {
  const { snaps } = await store();
  const p = await snaps.prepare();
  await fs.mkdir(path.join(p.dir, 'etc'));
  await fs.writeFile(path.join(p.dir, 'etc', 'x'), 'hello');
  await fs.symlink('x', path.join(p.dir, 'etc', 'l'));
  const id = await snaps.commit(p.id);
  assert.match(id, /^[0-9a-f]{10}$/);
  assert.ok(await snaps.exists(id));
  assert.not.ok(await snaps.exists(p.id));
  assert.is(await fs.readFile(path.join(snaps.dir(id), 'etc', 'x'), 'utf8'), 'hello');
  assert.is(await fs.readlink(path.join(snaps.dir(id), 'etc', 'l')), 'x');
  assert.equal(await fs.readdir(path.join(snaps.root, 'tmp')), []);
});

test('commit of a missing prepared dir fails', async () => {
  const { snaps } = await store();
  await snaps.prepare();
  try {
    await snaps.commit('tmp/doesnotexist');
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /ENOENT/);
  }
});

test('exists and remove (idempotent)', async () => {
  const { snaps } = await store();
  const id = await snaps.commit((await snaps.prepare()).id);
  await fs.mkdir(path.join(snaps.dir(id), 'a', 'b'), { recursive: true });
  await fs.writeFile(path.join(snaps.dir(id), 'a', 'b', 'f'), 'f');
  const other = await snaps.commit((await snaps.prepare()).id);
  const cases: [string, boolean][] = [[id, true], [other, true], ['0000000000', false], ['', true /* the root itself */]];
  for (const [i, want] of cases) assert.is(await snaps.exists(i), want, i);
  await snaps.remove(id);
  assert.not.ok(await snaps.exists(id));
  await snaps.remove(id);
  await snaps.remove('never-there');
  assert.ok(await snaps.exists(other));
});

test('emptyDir is stable and empty', async () => {
  const { snaps } = await store();
  const a = await snaps.emptyDir();
  const b = await snaps.emptyDir();
  assert.is(a, b);
  assert.is(a, snaps.dir('empty'));
  assert.equal(await fs.readdir(a), []);
});

test.run();
