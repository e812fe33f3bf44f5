import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NotFoundError } from '@pipekit/wire';
import { contentHash } from './contenthash.ts';
import { recordHash } from './record-hash.ts';
import { PatternMatcher } from './dockerignore.ts';
import { ContextMemo, MARGIN_MS } from './context-memo.ts';
import { setFileCapability, Store } from '@pipekit/cas-store';
import { registerDirExcludes } from './copy-filter.ts';
import { contextReads } from './read-cache.ts';

const made: string[] = [];
async function tree(): Promise<string> {
  const root = await fs.mkdtemp(path.join(tmpdir(), 'contenthash-test-'));
  made.push(root);
  await fs.mkdir(path.join(root, 'src', 'sub'), { recursive: true });
  await fs.writeFile(path.join(root, 'src', 'main.go'), 'package main\n');
  await fs.writeFile(path.join(root, 'src', 'sub', 'util.go'), 'package sub\n');
  await fs.writeFile(path.join(root, 'src', 'run.sh'), '#!/bin/sh\n');
  await fs.chmod(path.join(root, 'src', 'run.sh'), 0o755);
  await fs.symlink('main.go', path.join(root, 'src', 'link'));
  await fs.writeFile(path.join(root, 'a.txt'), 'a');
  await fs.writeFile(path.join(root, 'b.txt'), 'b');
  await fs.writeFile(path.join(root, 'c.md'), 'c');
  await fs.symlink('a.txt', path.join(root, 'to-a'));
  await fs.symlink('/src', path.join(root, 'abs-src'));
  return root;
}
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

const SRCS = ['/src', 'src', '/a.txt', '/src/sub', '/src/link', '/to-a', '/abs-src', '/'];

test('hashing is stable and has the sha256:<hex> form', async () => {
  const root = await tree();
  for (const s of SRCS) {
    const a = await contentHash(root, s);
    assert.match(a, /^sha256:[0-9a-f]{64}$/);
    assert.is(await contentHash(root, s), a, s);
  }
});

test('an identical tree elsewhere hashes the same', async () => {
  const one = await tree();
  const two = await tree();
  for (const s of SRCS) assert.is(await contentHash(two, s), await contentHash(one, s), s);
});

test('touching files and dirs (mtime, atime) does not change the hash', async () => {
  const root = await tree();
  const before = await Promise.all(SRCS.map((s) => contentHash(root, s)));
  const later = new Date(Date.now() + 3_600_000);
  for (const p of ['src/main.go', 'src', 'src/sub', 'src/sub/util.go', 'a.txt', '.']) await fs.utimes(path.join(root, p), later, later);
  await fs.lutimes(path.join(root, 'src', 'link'), later, later);
  // rewriting the same bytes is a touch, too
  await fs.writeFile(path.join(root, 'src', 'main.go'), 'package main\n');
  const after = await Promise.all(SRCS.map((s) => contentHash(root, s)));
  assert.equal(after, before);
});

// [name, what to hash, change] — every change must give a new hash
const CHANGES: [string, string, (root: string) => Promise<unknown>][] = [
  ['file content', '/src', (r) => fs.writeFile(path.join(r, 'src', 'main.go'), 'package other\n')],
  ['file content, same size', '/a.txt', (r) => fs.writeFile(path.join(r, 'a.txt'), 'A')],
  ['deep file content', '/src', (r) => fs.writeFile(path.join(r, 'src', 'sub', 'util.go'), 'x')],
  ['file mode', '/src', (r) => fs.chmod(path.join(r, 'src', 'main.go'), 0o600)],
  ['exec bit', '/src', (r) => fs.chmod(path.join(r, 'src', 'run.sh'), 0o644)],
  ['setuid bit', '/a.txt', (r) => fs.chmod(path.join(r, 'a.txt'), 0o4644)],
  ['dir mode', '/src', (r) => fs.chmod(path.join(r, 'src', 'sub'), 0o700)],
  ['owner', '/src', (r) => fs.chown(path.join(r, 'src', 'main.go'), 1000, 1000)],
  ['group only', '/a.txt', (r) => fs.chown(path.join(r, 'a.txt'), 0, 5)],
  ['symlink target', '/src', async (r) => {
    await fs.rm(path.join(r, 'src', 'link'));
    await fs.symlink('run.sh', path.join(r, 'src', 'link'));
  }],
  ['file becomes symlink', '/src', async (r) => {
    await fs.rm(path.join(r, 'src', 'run.sh'));
    await fs.symlink('#!/bin/sh\n', path.join(r, 'src', 'run.sh'));
  }],
  ['new empty file', '/src', (r) => fs.writeFile(path.join(r, 'src', 'empty'), '')],
  ['new empty dir', '/src', (r) => fs.mkdir(path.join(r, 'src', 'newdir'))],
  ['file removed', '/src', (r) => fs.rm(path.join(r, 'src', 'sub', 'util.go'))],
  ['file renamed', '/src', (r) => fs.rename(path.join(r, 'src', 'main.go'), path.join(r, 'src', 'main2.go'))],
  ['file moved to a subdir', '/src', (r) => fs.rename(path.join(r, 'src', 'main.go'), path.join(r, 'src', 'sub', 'main.go'))],
  ['followed symlink target content', '/to-a', (r) => fs.writeFile(path.join(r, 'a.txt'), 'changed')],
  ['a fifo appears', '/src', async (r) => execFileSync('mkfifo', [path.join(r, 'src', 'fifo')])],
];

for (const [name, src, change] of CHANGES) {
  test(`hash changes: ${name}`, async () => {
    const root = await tree();
    const before = await contentHash(root, src);
    await change(root);
    assert.is.not(await contentHash(root, src), before);
  });
}

test("a program's file capabilities are part of its record", async () => {
  const root = await tree();
  await fs.writeFile(path.join(root, 'prog'), 'p');
  await fs.chmod(path.join(root, 'prog'), 0o755);
  const before = await contentHash(root, '/');
  assert.ok(setFileCapability(path.join(root, 'prog'), Buffer.from([0x01, 0, 0, 0x02, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
  assert.is.not(await contentHash(root, '/'), before);
});

test('ignoreOwner: uid/gid changes do not matter', async () => {
  const root = await tree();
  const before = await contentHash(root, '/src', { ignoreOwner: true });
  const withOwner = await contentHash(root, '/src');
  await fs.chown(path.join(root, 'src', 'main.go'), 1000, 1000);
  await fs.lchown(path.join(root, 'src', 'link'), 7, 7);
  assert.is(await contentHash(root, '/src', { ignoreOwner: true }), before);
  assert.is.not(await contentHash(root, '/src'), withOwner);
  // ...and with root-owned files ignoreOwner is the same as not ignoring
  const fresh = await tree();
  assert.is(await contentHash(fresh, '/src', { ignoreOwner: true }), await contentHash(fresh, '/src'));
});

test('followSymlink false hashes the link, not its target', async () => {
  const root = await tree();
  const link = await contentHash(root, '/to-a', { followSymlink: false });
  const followed = await contentHash(root, '/to-a');
  assert.is.not(link, followed);
  await fs.writeFile(path.join(root, 'a.txt'), 'new content');
  assert.is(await contentHash(root, '/to-a', { followSymlink: false }), link, 'target content does not matter');
  assert.is.not(await contentHash(root, '/to-a'), followed);
  await fs.rm(path.join(root, 'to-a'));
  await fs.symlink('b.txt', path.join(root, 'to-a'));
  assert.is.not(await contentHash(root, '/to-a', { followSymlink: false }), link, 'link target matters');
});

test('absolute symlinks are followed inside the root', async () => {
  const root = await tree();
  const viaLink = await contentHash(root, '/abs-src/main.go');
  await fs.writeFile(path.join(root, 'src', 'main.go'), 'changed');
  assert.is.not(await contentHash(root, '/abs-src/main.go'), viaLink);
  // `..` after the link is taken from the link's target (/src/..), so this is /a.txt
  const up = await contentHash(root, '/abs-src/../a.txt');
  await fs.writeFile(path.join(root, 'a.txt'), 'changed a');
  assert.is.not(await contentHash(root, '/abs-src/../a.txt'), up);
});

const MISSING = ['/missing', 'missing/deeper', '/src/nope.go', '/src/main.go/x'];
for (const m of MISSING) {
  test(`missing path ${m}: NotFoundError`, async () => {
    const root = await tree();
    try {
      await contentHash(root, m);
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, NotFoundError);
      assert.is((err as Error).message, `${JSON.stringify(m)}: not found`);
    }
  });
}

test('a dangling symlink is not found when followed, hashed when not', async () => {
  const root = await tree();
  await fs.symlink('nowhere', path.join(root, 'dangling'));
  try {
    await contentHash(root, '/dangling');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, NotFoundError);
  }
  assert.match(await contentHash(root, '/dangling', { followSymlink: false }), /^sha256:/);
});

test('wildcards: only matching paths count', async () => {
  const root = await tree();
  const txt = await contentHash(root, '*.txt', { allowWildcard: true });
  await fs.writeFile(path.join(root, 'c.md'), 'changed md');
  await fs.mkdir(path.join(root, 'unrelated'));
  assert.is(await contentHash(root, '*.txt', { allowWildcard: true }), txt, 'non-matching changes do not count');
  await fs.writeFile(path.join(root, 'b.txt'), 'changed');
  const changed = await contentHash(root, '*.txt', { allowWildcard: true });
  assert.is.not(changed, txt);
  await fs.writeFile(path.join(root, 'new.txt'), '');
  assert.is.not(await contentHash(root, '*.txt', { allowWildcard: true }), changed, 'a new match counts');
});

test('wildcards: a wildcard over several paths differs from each path alone', async () => {
  const root = await tree();
  const both = await contentHash(root, '[ab].txt', { allowWildcard: true });
  const a = await contentHash(root, '/a.txt');
  const b = await contentHash(root, '/b.txt');
  assert.ok(both !== a && both !== b);
  assert.is(await contentHash(root, '/a.txt', { allowWildcard: true }), a, 'no meta: same as a plain path');
  assert.is(await contentHash(root, 'src/*.go', { allowWildcard: true }), await contentHash(root, 'src/*.go', { allowWildcard: true }));
});

test('without allowWildcard a pattern is a literal name', async () => {
  const root = await tree();
  try {
    await contentHash(root, '*.txt');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, NotFoundError);
    assert.is((err as Error).message, '"*.txt": not found');
  }
  await fs.writeFile(path.join(root, '*.txt'), 'literal');
  assert.match(await contentHash(root, '*.txt'), /^sha256:/);
});

test("a context root's own mode does not count (it is copied as 0755); a subdir's does", async () => {
  const root = await tree();
  const before = await contentHash(root, '/', { context: true });
  const plain = await contentHash(root, '/');
  // (a temp dir is made 0700)
  await fs.chmod(root, 0o750);
  assert.is(await contentHash(root, '/', { context: true }), before);
  assert.is.not(await contentHash(root, '/'), plain);
  await fs.chmod(path.join(root, 'src'), 0o700);
  assert.is.not(await contentHash(root, '/', { context: true }), before);
});

test('collect records one entry hash per path', async () => {
  const root = await tree();
  const seen = new Map<string, string>();
  await contentHash(root, '/src', { collect: seen });
  assert.equal([...seen.keys()].sort(), ['/src', '/src/link', '/src/main.go', '/src/run.sh', '/src/sub', '/src/sub/util.go']);
  for (const v of seen.values()) assert.match(recordHash(v), /^[0-9a-f]{16}$/);
  await fs.writeFile(path.join(root, 'src', 'main.go'), 'other');
  const again = new Map<string, string>();
  await contentHash(root, '/src', { collect: again });
  const differing = [...seen.keys()].filter((k) => recordHash(seen.get(k)!) !== recordHash(again.get(k)!));
  assert.equal(differing, ['/src/main.go'], 'only the changed entry differs');
});

test('--exclude patterns: excluded entries below the source are not read; re-includes still are', async () => {
  const root = await tree();
  const ex = (patterns: string[]) => ({ exclude: new PatternMatcher(patterns) });
  const base = await contentHash(root, '/src', ex(['*.sh', 'sub']));
  await fs.writeFile(path.join(root, 'src', 'run.sh'), 'changed');
  await fs.writeFile(path.join(root, 'src', 'sub', 'util.go'), 'changed');
  assert.is(await contentHash(root, '/src', ex(['*.sh', 'sub'])), base, 'excluded file and dir');
  await fs.writeFile(path.join(root, 'src', 'main.go'), 'changed');
  assert.is.not(await contentHash(root, '/src', ex(['*.sh', 'sub'])), base, 'a kept file');
  // a re-included file inside an excluded dir counts
  const re = await contentHash(root, '/src', ex(['sub', '!sub/util.go']));
  await fs.writeFile(path.join(root, 'src', 'sub', 'util.go'), 'again');
  assert.is.not(await contentHash(root, '/src', ex(['sub', '!sub/util.go'])), re);
  // the source itself is never excluded
  assert.match(await contentHash(root, '/src/run.sh', ex(['*'])), /^sha256:/);
});

test('a memo: each hash is remembered; a remembered one stands in while nothing changed, unless reached through a symlink', async () => {
  const root = await tree();
  const storeDir = await fs.mkdtemp(path.join(tmpdir(), 'contenthash-store-'));
  made.push(storeDir);
  const store = await Store.open(storeDir);
  // a context older than the memo's margin, as a real one usually is
  await new Promise((r) => setTimeout(r, MARGIN_MS + 50));
  // (find taken as free: else sources walked faster than it are walked again)
  const memo = await ContextMemo.load(store, root, 0);
  const SOURCES: [string, boolean][] = [['/src', true], ['/a.txt', true], ['*.txt', true], ['/to-a', false], ['/abs-src', false]];
  const walked = new Map<string, string>();
  for (const [src] of SOURCES) walked.set(src, await contentHash(root, src, { memo, allowWildcard: true, followSymlink: true }));
  for (const [src, remembered] of SOURCES) {
    let used = false;
    const seen = new Map<string, string>();
    const sum = await contentHash(root, src, { memo, useMemo: true, allowWildcard: true, followSymlink: true, collect: seen, onMemo: () => (used = true) });
    assert.is(sum, walked.get(src), src);
    assert.is(used, remembered, src);
    assert.is(seen.size === 0, remembered, `${src}: nothing read when remembered`);
  }
  // other options are another checksum
  let used = false;
  await contentHash(root, '/src', { memo, useMemo: true, allowWildcard: true, followSymlink: true, ignoreOwner: true, onMemo: () => (used = true) });
  assert.is(used, false, 'ignoreOwner is part of the key');
  // a change: a fresh memo (the next build) walks again and gets the new hash
  await fs.writeFile(path.join(root, 'src', 'main.go'), 'changed');
  await memo.save();
  const again = await ContextMemo.load(store, root, 0);
  used = false;
  const sum = await contentHash(root, '/src', { memo: again, useMemo: true, allowWildcard: true, followSymlink: true, onMemo: () => (used = true) });
  assert.is(used, false);
  assert.is.not(sum, walked.get('/src'));
});

// A big source's checksum comes from the records of its last walk plus what
// changed since: after each kind of change, exactly what a full walk gives.
const BIG = 1100;
async function bigContext(): Promise<string> {
  const root = await fs.mkdtemp(path.join(tmpdir(), 'contenthash-big-'));
  made.push(root);
  for (let d = 0; d < 11; d++) {
    await fs.mkdir(path.join(root, 'src', `d${d}`), { recursive: true });
    for (let f = 0; f < BIG / 11; f++) await fs.writeFile(path.join(root, 'src', `d${d}`, `f${f}.txt`), `${d}/${f}\n`);
  }
  await fs.symlink('d0/f0.txt', path.join(root, 'src', 'link'));
  await fs.writeFile(path.join(root, 'src', 'd1', 'debug.log'), 'log\n');
  await fs.mkdir(path.join(root, 'src', 'cache'));
  await fs.writeFile(path.join(root, 'src', 'cache', 'x'), 'x\n');
  return root;
}

const RECORD_CHANGES: [string, boolean, (src: string) => Promise<unknown>][] = [
  ['nothing', true, async () => {}],
  ['a file written in place', true, (s) => fs.writeFile(path.join(s, 'd3', 'f7.txt'), 'changed\n')],
  ['a mode', true, (s) => fs.chmod(path.join(s, 'd3', 'f8.txt'), 0o600)],
  ['a file renamed over another', true, async (s) => {
    await fs.writeFile(path.join(s, 'd4', '.tmp'), 'saved\n');
    await fs.rename(path.join(s, 'd4', '.tmp'), path.join(s, 'd4', 'f1.txt'));
  }],
  ['a symlink retargeted', true, async (s) => {
    await fs.rm(path.join(s, 'link'));
    await fs.symlink('d0/f1.txt', path.join(s, 'link'));
  }],
  ['a dir mode', true, (s) => fs.chmod(path.join(s, 'd5'), 0o700)],
  ['an ignored file', true, (s) => fs.writeFile(path.join(s, 'd1', 'debug.log'), 'more\n')],
  ['a file in an ignored dir', true, (s) => fs.writeFile(path.join(s, 'cache', 'x'), 'y\n')],
  ['a file added', true, (s) => fs.writeFile(path.join(s, 'd6', 'new.txt'), 'new\n')],
  ['files added that sort first and last, and at the top', true, async (s) => {
    await fs.writeFile(path.join(s, 'd6', '.first'), '1\n');
    await fs.writeFile(path.join(s, 'd6', '~last'), '2\n');
    await fs.writeFile(path.join(s, 'top.txt'), 'top\n');
  }],
  ['a dir of files, a symlink and an ignored file added', true, async (s) => {
    await fs.mkdir(path.join(s, 'd2', 'new', 'deeper'), { recursive: true });
    await fs.writeFile(path.join(s, 'd2', 'new', 'deeper', 'z.txt'), 'z\n');
    await fs.writeFile(path.join(s, 'd2', 'new', 'a.txt'), 'a\n');
    await fs.writeFile(path.join(s, 'd2', 'new', 'trace.log'), 'ignored\n');
    await fs.symlink('a.txt', path.join(s, 'd2', 'new', 'l'));
  }],
  ['a dir removed, a file renamed', true, async (s) => {
    await fs.rm(path.join(s, 'd10'), { recursive: true });
    await fs.rename(path.join(s, 'd5', 'f3.txt'), path.join(s, 'd5', 'renamed.txt'));
  }],
  ['two dirs swapped (their files keep their ctimes)', false, async (s) => {
    await fs.rename(path.join(s, 'd8'), path.join(s, 'tmp'));
    await fs.rename(path.join(s, 'd9'), path.join(s, 'd8'));
    await fs.rename(path.join(s, 'tmp'), path.join(s, 'd9'));
  }],
  ['a file removed', true, (s) => fs.rm(path.join(s, 'd6', 'f2.txt'))],
  ['a file made a dir', false, async (s) => {
    await fs.rm(path.join(s, 'd7', 'f0.txt'));
    await fs.mkdir(path.join(s, 'd7', 'f0.txt'));
  }],
];

test('a big source: checksum and records from the last walk plus what changed equal a full walk', async () => {
  const storeDir = await fs.mkdtemp(path.join(tmpdir(), 'contenthash-store-'));
  made.push(storeDir);
  const store = await Store.open(storeDir);
  const roots = await Promise.all(RECORD_CHANGES.map(bigContext));
  // contexts older than the memo's margin, as real ones usually are
  await new Promise((r) => setTimeout(r, MARGIN_MS + 300));
  for (const [i, [what, fromRecords, change]] of RECORD_CHANGES.entries()) {
    const root = roots[i];
    registerDirExcludes(root, ['**/*.log', 'src/cache']);
    const opts = { context: true, ignoreOwner: true };
    const first = await ContextMemo.load(store, root, 0);
    await contentHash(root, 'src', { ...opts, memo: first });
    await first.save();
    // file times come from a coarse clock, a tick behind this one
    const changedAt = Date.now() - 100;
    await change(path.join(root, 'src'));
    let indexOpened = false;
    const seen = new Map<string, string>();
    const next = await ContextMemo.load(store, root, 0);
    const sum = await contentHash(root, 'src', { ...opts, memo: next, collect: seen, index: async () => {
      indexOpened = true;
      return (await import('./digest-index.ts')).DigestIndex.open(store, root);
    } });
    const walked = new Map<string, string>();
    assert.is(sum, await contentHash(root, 'src', { ...opts, collect: walked }), what);
    assert.equal([...seen], [...walked], `${what}: records`);
    assert.is(!indexOpened, fromRecords, `${what}: from records`);
    // what changed is noted for a copy that revises its last layer (patch-previous.ts)
    const noted = contextReads.changedUnder(path.join(root, 'src'), changedAt);
    if (what === 'a file written in place') assert.equal([...(noted?.keys() ?? [])], [path.join(root, 'src', 'd3', 'f7.txt')]);
    // and the next build starts from these records
    await next.save();
    const third = await ContextMemo.load(store, root, 0);
    assert.is(await contentHash(root, 'src', { ...opts, memo: third }), sum, `${what}: again`);
    registerDirExcludes(root, []);
  }
});

test("a big source's records are kept with each record's hash; one taken for an earlier step start is remembered as of then", async () => {
  const storeDir = await fs.mkdtemp(path.join(tmpdir(), 'contenthash-store-'));
  made.push(storeDir);
  const store = await Store.open(storeDir);
  const root = await bigContext();
  await new Promise((r) => setTimeout(r, MARGIN_MS + 300));
  const opts = { context: true, ignoreOwner: true };
  // the step began reading a moment before this checksum was asked for (after the context was made)
  const readAt = Date.now() - 200;
  const first = await ContextMemo.load(store, root, 0);
  await contentHash(root, 'src', { ...opts, memo: first, readAt });
  await first.save();
  const files = await fs.readdir(path.join(storeDir, 'contexts'));
  const sums = JSON.parse(await fs.readFile(path.join(storeDir, 'contexts', files.find((f) => f.endsWith('.sums.json'))!), 'utf8'));
  assert.equal(Object.values(sums.sums).map((e) => (e as number[])[1]), [readAt]);
  const recs = JSON.parse(await fs.readFile(path.join(storeDir, 'contexts', files.find((f) => f.includes('.rec-'))!), 'utf8'));
  assert.is(recs.hashes.length, recs.entries.length);
  assert.equal(recs.hashes, recs.entries.map((e: [string, string]) => createHash('sha256').update(e[1]).digest('hex').slice(0, 16)));
  // the next build: what changed is noted from the step's start, as its explain note keeps it, so a copy revising its last layer need not ask find again
  await fs.writeFile(path.join(root, 'src', 'd3', 'f7.txt'), 'new\n');
  const next = await ContextMemo.load(store, root, 0);
  const seen = new Map<string, string>();
  await contentHash(root, 'src', { ...opts, memo: next, collect: seen });
  assert.equal([...(contextReads.changedUnder(path.join(root, 'src'), readAt - MARGIN_MS)?.keys() ?? [])], [path.join(root, 'src', 'd3', 'f7.txt')]);
  const walked = new Map<string, string>();
  await contentHash(root, 'src', { ...opts, collect: walked });
  assert.equal([...seen], [...walked]);
});

test.run();
