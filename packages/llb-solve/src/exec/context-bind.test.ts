import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from '@pipekit/cas-store';
import { contextBindSource } from './context-bind.ts';
import { registerDirExcludes } from '../fs/copy-filter.ts';

const made: string[] = [];
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});
async function temp(prefix: string): Promise<string> {
  const d = await fs.mkdtemp(path.join(tmpdir(), `context-bind-${prefix}-`));
  made.push(d);
  return d;
}
/** A context as BuildKit would transfer it: root-owned, its root 0755. */
async function context(): Promise<string> {
  const dir = await temp('ctx');
  await fs.chmod(dir, 0o755);
  await fs.mkdir(path.join(dir, 'sub'));
  await fs.chmod(path.join(dir, 'sub'), 0o750);
  await fs.writeFile(path.join(dir, 'sub', 'a.txt'), 'a\n');
  await fs.writeFile(path.join(dir, '.env'), 'secret\n');
  return dir;
}
const store = Store.open(await temp('store'));

test('a context that already looks transferred is bound as it is (read-only)', async () => {
  const dir = await context();
  const b = await contextBindSource(await store, dir, '/', true);
  assert.is(b.source, dir);
  await b.close();
  assert.ok(existsSync(dir));
});

const DIFFERS: [string, (dir: string) => Promise<unknown>][] = [
  ['its root is 0700 (a temp dir)', (d) => fs.chmod(d, 0o700)],
  ['a file is owned by someone else', (d) => fs.chown(path.join(d, 'sub', 'a.txt'), 1234, 1234)],
  ['a .dockerignore leaves files out', async (d) => registerDirExcludes(d, ['.env'])],
];
for (const [why, change] of DIFFERS) {
  test(`${why}: the step gets a copy as BuildKit would show it, removed afterwards`, async () => {
    const dir = await context();
    await change(dir);
    for (const readonly of [true, false]) {
      const b = await contextBindSource(await store, dir, '/', readonly);
      assert.is.not(b.source, dir);
      const root = await fs.lstat(b.source);
      assert.equal([root.mode & 0o7777, root.uid, root.gid], [0o755, 0, 0]);
      const a = await fs.lstat(path.join(b.source, 'sub', 'a.txt'));
      assert.equal([a.uid, a.gid], [0, 0]);
      assert.is((await fs.lstat(path.join(b.source, 'sub'))).mode & 0o7777, 0o750, 'a subdir keeps its mode');
      assert.is(existsSync(path.join(b.source, '.env')), why.includes('.dockerignore') ? false : true);
      await b.close();
      assert.not.ok(existsSync(b.source));
    }
    registerDirExcludes(dir, []);
  });
}

test('a read-write bind is always a copy: writes never reach the context', async () => {
  const dir = await context();
  const b = await contextBindSource(await store, dir, '/', false);
  assert.is.not(b.source, dir);
  await fs.writeFile(path.join(b.source, 'new'), 'n');
  await b.close();
  assert.not.ok(existsSync(path.join(dir, 'new')));
});

test('a selector picks a subdir or a single file', async () => {
  const dir = await context();
  await fs.chown(path.join(dir, 'sub', 'a.txt'), 1234, 1234);
  const sub = await contextBindSource(await store, dir, 'sub', true);
  assert.equal(await fs.readdir(sub.source), ['a.txt']);
  assert.is((await fs.lstat(sub.source)).mode & 0o7777, 0o750);
  await sub.close();
  const one = await contextBindSource(await store, dir, '/sub/a.txt', true);
  assert.is(await fs.readFile(one.source, 'utf8'), 'a\n');
  assert.is((await fs.lstat(one.source)).uid, 0);
  await one.close();
});

test.run();
