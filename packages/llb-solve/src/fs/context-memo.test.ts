import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from '@pipekit/cas-store';
import { ContextMemo, MARGIN_MS } from './context-memo.ts';

const made: string[] = [];
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});
async function temp(prefix: string): Promise<string> {
  const d = await fs.mkdtemp(path.join(tmpdir(), `context-memo-${prefix}-`));
  made.push(d);
  return d;
}
async function context(): Promise<string> {
  const dir = await temp('ctx');
  await fs.mkdir(path.join(dir, 'src'));
  await fs.mkdir(path.join(dir, 'node_modules'));
  await fs.writeFile(path.join(dir, 'src', 'a.txt'), 'a\n');
  await fs.writeFile(path.join(dir, 'node_modules', 'm.js'), 'm\n');
  return dir;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// contexts older than the margin, as real ones usually are: made at once, aged by one wait
const agedPool = (async () => {
  const dirs = await Promise.all(Array.from({ length: 10 }, context));
  await sleep(MARGIN_MS + 50);
  return dirs;
})();
async function aged(): Promise<string> {
  const d = (await agedPool).pop();
  if (!d) throw new Error('aged pool too small');
  return d;
}

/** A checksum remembered now, saved, then looked up by a fresh instance (the next build) after `change`. */
async function rememberThenLookup(change?: (dir: string) => Promise<unknown>, prune?: { paths: string[]; names: string[] }): Promise<string | undefined> {
  const ctx = await aged();
  const store = await Store.open(await temp('store'));
  const memo = await ContextMemo.load(store, ctx);
  memo.remember('k', 'sha256:sum', Date.now(), 1000);
  await memo.save();
  await change?.(ctx);
  return (await ContextMemo.load(store, ctx)).lookup('k', prune);
}

test('an unchanged context: the remembered checksum stands in', async () => {
  assert.is(await rememberThenLookup(), 'sha256:sum');
});

const CHANGES: [string, (dir: string) => Promise<unknown>][] = [
  ['a file written', (d) => fs.writeFile(path.join(d, 'src', 'a.txt'), 'A\n')],
  ['a file added', (d) => fs.writeFile(path.join(d, 'src', 'b.txt'), 'b\n')],
  ['a file removed', (d) => fs.rm(path.join(d, 'src', 'a.txt'))],
  ['a mode changed', (d) => fs.chmod(path.join(d, 'src', 'a.txt'), 0o700)],
  ['a file in an ignored dir, not pruned', (d) => fs.writeFile(path.join(d, 'node_modules', 'm.js'), 'M\n')],
];
for (const [what, change] of CHANGES) {
  test(`${what}: the checksum is not used`, async () => {
    assert.is(await rememberThenLookup(change), undefined);
  });
}

test('a change in a pruned (ignored) dir does not count', async () => {
  const change = (d: string) => fs.writeFile(path.join(d, 'node_modules', 'm.js'), 'M\n');
  assert.is(await rememberThenLookup(change, { paths: ['node_modules'], names: [] }), 'sha256:sum');
});

test('a change just before the walk began counts (file times lag the clock)', async () => {
  const ctx = await aged();
  const store = await Store.open(await temp('store'));
  await fs.writeFile(path.join(ctx, 'src', 'a.txt'), 'A\n');
  const memo = await ContextMemo.load(store, ctx);
  memo.remember('k', 'sha256:sum', Date.now(), 1000);
  assert.is(await memo.lookup('k'), undefined);
});

test('a checksum taken "later" than now (the clock went back) is not used', async () => {
  const ctx = await aged();
  const store = await Store.open(await temp('store'));
  const memo = await ContextMemo.load(store, ctx);
  memo.remember('k', 'sha256:sum', Date.now() + 60000, 1000);
  assert.is(await memo.lookup('k'), undefined);
});

test('unknown keys, another dir, an unreadable file: nothing remembered', async () => {
  const ctx = await context();
  const store = await Store.open(await temp('store'));
  const memo = await ContextMemo.load(store, ctx);
  memo.remember('k', 'sha256:sum', Date.now(), 1000);
  await memo.save();
  assert.is(await (await ContextMemo.load(store, ctx)).lookup('other'), undefined);
  assert.is(await (await ContextMemo.load(store, await context())).lookup('k'), undefined);
  for (const f of await fs.readdir(path.join(store.dir, 'contexts'))) await fs.writeFile(path.join(store.dir, 'contexts', f), '{not json');
  assert.is(await (await ContextMemo.load(store, ctx)).lookup('k'), undefined);
});

test('a source walked faster than find runs is walked again, unless find already ran in this build', async () => {
  const ctx = await aged();
  const store = await Store.open(await temp('store'));
  const memo = await ContextMemo.load(store, ctx);
  const now = Date.now();
  memo.remember('cheap', 'sha256:cheap', now, 0);
  memo.remember('big', 'sha256:big', now, 1000);
  assert.is(await memo.lookup('cheap'), undefined);
  assert.is(await memo.lookup('big'), 'sha256:big');
  assert.is(await memo.lookup('cheap'), 'sha256:cheap');
  // how long find took is remembered for the next build
  await memo.save();
  const saved = JSON.parse(await fs.readFile(path.join(store.dir, 'contexts', (await fs.readdir(path.join(store.dir, 'contexts')))[0]), 'utf8'));
  assert.ok(saved.findMs >= 1 && saved.findMs < 1000, String(saved.findMs));
});

test('keys differ by every part', () => {
  const base = ['/src', true, false, true, true, '', ''];
  const keys = new Set([ContextMemo.key(base)]);
  base.forEach((p, i) => keys.add(ContextMemo.key(base.map((q, j) => (j === i ? (typeof q === 'boolean' ? !q : `${q}x`) : q)))));
  assert.is(keys.size, base.length + 1);
});

test.run();
