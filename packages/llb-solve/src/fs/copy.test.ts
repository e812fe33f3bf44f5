import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BuildError, NotFoundError, type CopyAction } from '@pipekit/wire';
import { copyAction, type CopyContext } from './copy.ts';
import { contextReads } from './read-cache.ts';
import { fileCapability, setFileCapability } from '@pipekit/cas-store';
import { inUserNamespace } from '@pipekit/wire';
import { createServer } from 'node:net';

function act(p: Partial<CopyAction>): CopyAction {
  return {
    src: '/', dest: '/', owner: null, mode: -1, modeStr: '', followSymlink: true, dirCopyContents: false,
    attemptUnpack: false, createDestPath: false, allowWildcard: false, allowEmptyWildcard: false, timestamp: -1,
    includePatterns: [], excludePatterns: [], requiredPaths: [], alwaysReplaceExistingDestPaths: false, ...p,
  };
}
const CTX: CopyContext = { owner: null, fromLocal: false };
const T = new Date('2023-05-06T07:08:09.000Z');

const made: string[] = [];
type Roots = { base: string; src: string; dst: string; outside: string };
async function roots(): Promise<Roots> {
  const base = await fs.mkdtemp(path.join(tmpdir(), 'copy-test-'));
  made.push(base);
  const src = path.join(base, 'src');
  const dst = path.join(base, 'dst');
  const outside = path.join(base, 'outside');
  for (const d of [src, dst, outside]) await fs.mkdir(d);
  const w = async (rel: string, data: string, mode = 0o644, uid = 0, gid = 0) => {
    const p = path.join(src, rel);
    await fs.mkdir(path.dirname(p), { recursive: true });
    await fs.writeFile(p, data);
    await fs.chmod(p, mode);
    await fs.chown(p, uid, gid);
    await fs.utimes(p, T, T);
  };
  await w('a.txt', 'A');
  await w('b.txt', 'B');
  await w('c.md', 'C');
  await w('run.sh', '#!/bin/sh\n', 0o755);
  await w('owned', 'O', 0o640, 1000, 1001);
  await w('dir/one', '1');
  await w('dir/sub/two', '2', 0o600);
  await fs.chmod(path.join(src, 'dir', 'sub'), 0o750);
  await fs.symlink('one', path.join(src, 'dir', 'link-one'));
  await fs.symlink('/etc/passwd', path.join(src, 'dir', 'abs-link'));
  await fs.chown(path.join(src, 'dir'), 1000, 1000);
  await fs.symlink('a.txt', path.join(src, 'to-a'));
  await fs.symlink('dir', path.join(src, 'to-dir'));
  await fs.mkdir(path.join(dst, 'existing'));
  await fs.writeFile(path.join(dst, 'existing', 'keep'), 'keep');
  await fs.writeFile(path.join(dst, 'file'), 'old');
  return { base, src, dst, outside };
}
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

async function tree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    for (const n of (await fs.readdir(path.join(root, rel))).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const st = await fs.lstat(path.join(root, r));
      const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        out[`${r}/`] = meta;
        await walk(r);
      } else if (st.isSymbolicLink()) out[r] = `-> ${await fs.readlink(path.join(root, r))} ${st.uid}:${st.gid}`;
      else out[r] = `${await fs.readFile(path.join(root, r), 'utf8')} ${meta}`;
    }
  };
  await walk('');
  return out;
}

/** The destination tree minus what the fixture put there. */
async function added(dst: string): Promise<Record<string, string>> {
  const t = await tree(dst);
  for (const k of ['existing/', 'existing/keep', 'file']) if (t[k] === (k === 'file' ? 'old 644 0:0' : k === 'existing/' ? '755 0:0' : 'keep 644 0:0')) delete t[k];
  return t;
}

// [name, action, expected new entries in dst]
const CASES: [string, Partial<CopyAction>, Record<string, string>][] = [
  ['file to file', { src: '/a.txt', dest: '/b.txt' }, { 'b.txt': 'A 644 0:0' }],
  ['file to file, relative names', { src: 'a.txt', dest: 'renamed' }, { renamed: 'A 644 0:0' }],
  ['file into dir with trailing slash', { src: '/a.txt', dest: '/existing/' }, { 'existing/a.txt': 'A 644 0:0' }],
  ['file into dir with /.', { src: '/a.txt', dest: '/existing/.' }, { 'existing/a.txt': 'A 644 0:0' }],
  ['file into existing dir without slash', { src: '/a.txt', dest: '/existing' }, { 'existing/a.txt': 'A 644 0:0' }],
  ['file into the root', { src: '/a.txt', dest: '/' }, { 'a.txt': 'A 644 0:0' }],
  ['file over an existing file', { src: '/a.txt', dest: '/file' }, { file: 'A 644 0:0' }],
  ['mode and owner kept', { src: '/owned', dest: '/' }, { owned: 'O 640 1000:1001' }],
  ['exec bit kept', { src: '/run.sh', dest: '/bin/', createDestPath: true }, { 'bin/': '755 0:0', 'bin/run.sh': '#!/bin/sh\n 755 0:0' }],
  [
    'dir contents (dirCopyContents)',
    { src: '/dir', dest: '/app', dirCopyContents: true, createDestPath: true },
    {
      // a dest dir the copy creates is made as its parents are (BuildKit's prepareTargetDir), not from the source dir
      'app/': '755 0:0', 'app/abs-link': '-> /etc/passwd 0:0', 'app/link-one': '-> one 0:0', 'app/one': '1 644 0:0',
      'app/sub/': '750 0:0', 'app/sub/two': '2 600 0:0',
    },
  ],
  [
    'dir itself (no dirCopyContents) into a dir',
    { src: '/dir/sub', dest: '/existing/' },
    { 'existing/sub/': '750 0:0', 'existing/sub/two': '2 600 0:0' },
  ],
  [
    'dir itself to a new name',
    { src: '/dir/sub', dest: '/newname' },
    { 'newname/': '750 0:0', 'newname/two': '2 600 0:0' },
  ],
  [
    'wildcard with several matches',
    { src: '/*.txt', dest: '/existing/', allowWildcard: true },
    { 'existing/a.txt': 'A 644 0:0', 'existing/b.txt': 'B 644 0:0' },
  ],
  [
    'wildcard with several matches, dest without slash is a dir',
    { src: '/[ab].txt', dest: '/out', allowWildcard: true, createDestPath: true },
    { 'out/': '755 0:0', 'out/a.txt': 'A 644 0:0', 'out/b.txt': 'B 644 0:0' },
  ],
  ['wildcard with one match to a file name', { src: '/*.md', dest: '/readme', allowWildcard: true }, { readme: 'C 644 0:0' }],
  ['wildcard matching a dir with dirCopyContents', { src: '/di?', dest: '/d/', allowWildcard: true, dirCopyContents: true, createDestPath: true, followSymlink: false },
    { 'd/': '755 0:0', 'd/abs-link': '-> /etc/passwd 0:0', 'd/link-one': '-> one 0:0', 'd/one': '1 644 0:0', 'd/sub/': '750 0:0', 'd/sub/two': '2 600 0:0' }],
  ['empty wildcard allowed', { src: '/*.none', dest: '/x/', allowWildcard: true, allowEmptyWildcard: true }, {}],
  ['a pattern without allowWildcard is a name', { src: '/a.txt', dest: '/q*', allowWildcard: false }, { 'q*': 'A 644 0:0' }],
  [
    'createDestPath makes every missing parent 0755',
    { src: '/a.txt', dest: '/x/y/z/', createDestPath: true },
    { 'x/': '755 0:0', 'x/y/': '755 0:0', 'x/y/z/': '755 0:0', 'x/y/z/a.txt': 'A 644 0:0' },
  ],
  ['createDestPath for a file name', { src: '/a.txt', dest: '/p/q/file.txt', createDestPath: true }, { 'p/': '755 0:0', 'p/q/': '755 0:0', 'p/q/file.txt': 'A 644 0:0' }],
  ['mode override', { src: '/a.txt', dest: '/m', mode: 0o600 }, { m: 'A 600 0:0' }],
  ['mode override applies to dirs and files', { src: '/dir/sub', dest: '/ms', mode: 0o700 }, { 'ms/': '700 0:0', 'ms/two': '2 700 0:0' }],
  ['symbolic mode', { src: '/a.txt', dest: '/sym', modeStr: 'u+x,g-r' }, { sym: 'A 704 0:0' }],
  ['symbolic +X on a tree', { src: '/dir/sub', dest: '/sx', modeStr: 'a+X' }, { 'sx/': '751 0:0', 'sx/two': '2 600 0:0' }],
  ['symlink followed at the top (default)', { src: '/to-a', dest: '/got' }, { got: 'A 644 0:0' }],
  ['symlink copied as a symlink when not followed', { src: '/to-a', dest: '/got', followSymlink: false }, { got: '-> a.txt 0:0' }],
  ['followed symlink keeps the link name in a dir', { src: '/to-a', dest: '/existing/' }, { 'existing/to-a': 'A 644 0:0' }],
  ['symlinks inside a copied dir stay symlinks', { src: '/to-dir', dest: '/sl', dirCopyContents: true, createDestPath: true },
    { 'sl/': '755 0:0', 'sl/abs-link': '-> /etc/passwd 0:0', 'sl/link-one': '-> one 0:0', 'sl/one': '1 644 0:0', 'sl/sub/': '750 0:0', 'sl/sub/two': '2 600 0:0' }],
  ['timestamp override is not a visible change here', { src: '/a.txt', dest: '/ts', timestamp: 0 }, { ts: 'A 644 0:0' }],
];

for (const [name, a, want] of CASES) {
  test(`copy: ${name}`, async () => {
    const r = await roots();
    const before = await tree(r.src);
    await copyAction(r.dst, r.src, act(a), CTX);
    const got = await added(r.dst);
    assert.equal(got, want);
    assert.equal(await tree(r.src), before, 'the source is untouched');
    assert.equal(await fs.readdir(r.outside), []);
  });
}

test('dir contents into an existing dir merge with what is there', async () => {
  const r = await roots();
  await copyAction(r.dst, r.src, act({ src: '/dir/sub', dest: '/existing', dirCopyContents: true }), CTX);
  assert.equal((await fs.readdir(path.join(r.dst, 'existing'))).sort(), ['keep', 'two']);
  assert.is((await added(r.dst))['existing/two'], '2 600 0:0');
  assert.is(await fs.readFile(path.join(r.dst, 'existing', 'keep'), 'utf8'), 'keep');
  // (the existing dir's own mode/owner are not checked here: see the report on dirCopyContents)
});

test('copy keeps source mtimes, or sets the timestamp', async () => {
  const r = await roots();
  await copyAction(r.dst, r.src, act({ src: '/a.txt', dest: '/kept' }), CTX);
  assert.is((await fs.stat(path.join(r.dst, 'kept'))).mtimeMs, T.getTime());
  await copyAction(r.dst, r.src, act({ src: '/dir', dest: '/ts/', createDestPath: true, timestamp: 1_000_000 }), CTX);
  for (const p of ['ts/dir/one', 'ts/dir/sub/two', 'ts/dir/sub', 'ts/dir/link-one']) {
    assert.is((await fs.lstat(path.join(r.dst, p))).mtimeMs, 1_000_000_000, p);
  }
});

test('with --exclude (or a .dockerignore) a dir still gets its source times, though its entries are copied after it', async () => {
  const r = await roots();
  const D = new Date('2022-01-02T03:04:05.000Z');
  for (const d of ['dir', 'dir/sub']) await fs.utimes(path.join(r.src, d), D, D);
  await copyAction(r.dst, r.src, act({ src: '/dir', dest: '/ex/', createDestPath: true, excludePatterns: ['*.log'] }), CTX);
  for (const p of ['ex/dir', 'ex/dir/sub']) assert.is((await fs.lstat(path.join(r.dst, p))).mtimeMs, D.getTime(), p);
  await copyAction(r.dst, r.src, act({ src: '/dir', dest: '/ts2/', createDestPath: true, excludePatterns: ['*.log'], timestamp: 1_000_000 }), CTX);
  assert.is((await fs.lstat(path.join(r.dst, 'ts2/dir/sub'))).mtimeMs, 1_000_000_000);
});

test('owner override applies to everything copied, and to created parents', async () => {
  const r = await roots();
  const ctx: CopyContext = { owner: { uid: 33, gid: 44 }, fromLocal: false };
  await copyAction(r.dst, r.src, act({ src: '/dir', dest: '/srv/www/', createDestPath: true }), ctx);
  await copyAction(r.dst, r.src, act({ src: '/owned', dest: '/o' }), ctx);
  const t = await added(r.dst);
  assert.equal(t, {
    'o': 'O 640 33:44',
    'srv/': '755 33:44',
    'srv/www/': '755 33:44',
    'srv/www/dir/': '755 33:44',
    'srv/www/dir/abs-link': '-> /etc/passwd 33:44',
    'srv/www/dir/link-one': '-> one 33:44',
    'srv/www/dir/one': '1 644 33:44',
    'srv/www/dir/sub/': '750 33:44',
    'srv/www/dir/sub/two': '2 600 33:44',
  });
});

test("dir contents: dest made with a numeric --chmod and --chown (parents too), or kept; its times are the source dir's", async () => {
  const r = await roots();
  const src = path.join(r.src, 'dir');
  const srcTime = new Date('2001-01-01T00:00:00Z');
  await fs.utimes(src, srcTime, srcTime);
  const contents = { dirCopyContents: true, createDestPath: true, src: '/dir' };
  await copyAction(r.dst, r.src, act({ ...contents, dest: '/made/deep/', mode: 0o750 }), { owner: { uid: 7, gid: 8 }, fromLocal: false });
  await copyAction(r.dst, r.src, act({ ...contents, dest: '/plain/', modeStr: 'u+x' }), CTX);
  await fs.chmod(path.join(r.dst, 'existing'), 0o711);
  await copyAction(r.dst, r.src, act({ ...contents, dest: '/existing/' }), CTX);
  const t = await added(r.dst);
  assert.is(t['made/'], '750 7:8', 'a created parent');
  assert.is(t['made/deep/'], '750 7:8', 'the created dest');
  assert.is(t['made/deep/sub/'], '750 7:8', 'a copied subdir takes --chmod as a file does');
  assert.is(t['plain/'], '755 0:0', 'symbolic --chmod: 0755');
  const existing = await fs.lstat(path.join(r.dst, 'existing'));
  assert.is((existing.mode & 0o7777).toString(8), '711', 'an existing dest keeps its mode');
  for (const d of ['made/deep', 'plain', 'existing']) assert.is((await fs.lstat(path.join(r.dst, d))).mtime.getTime(), srcTime.getTime(), d);
  assert.not.equal((await fs.lstat(path.join(r.dst, 'made'))).mtime.getTime(), srcTime.getTime(), 'a created parent is not the source');
  // filtered (--exclude, .dockerignore): entries are copied one by one, and only the top keeps its own metadata
  await copyAction(r.dst, r.src, act({ ...contents, dest: '/existing/', excludePatterns: ['one'] }), CTX);
  assert.is((await added(r.dst))['existing/sub/'], '750 0:0');
});

test("a program's file capabilities are copied with it, after the chown that would drop them", async () => {
  const r = await roots();
  // revision 2, effective; permitted cap_net_bind_service
  const cap = Buffer.from([0x01, 0, 0, 0x02, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const big = path.join(r.src, 'big.bin');
  await fs.writeFile(big, Buffer.alloc(2 * 1024 * 1024));
  await fs.chmod(big, 0o755);
  for (const f of ['run.sh', 'big.bin']) assert.ok(setFileCapability(path.join(r.src, f), cap));
  await copyAction(r.dst, r.src, act({ src: '/run.sh', dest: '/x/run.sh', createDestPath: true }), { owner: { uid: 5, gid: 6 }, fromLocal: true });
  await copyAction(r.dst, r.src, act({ src: '/big.bin', dest: '/x/big.bin' }), { owner: { uid: 5, gid: 6 }, fromLocal: false });
  for (const f of ['run.sh', 'big.bin']) {
    assert.ok(fileCapability(path.join(r.dst, 'x', f))?.equals(cap), f);
    assert.is((await fs.lstat(path.join(r.dst, 'x', f))).uid, 5);
  }
});

test('fromLocal makes files 0:0; without it owners are kept', async () => {
  const r = await roots();
  await copyAction(r.dst, r.src, act({ src: '/dir', dest: '/local/', createDestPath: true }), { owner: null, fromLocal: true });
  await copyAction(r.dst, r.src, act({ src: '/owned', dest: '/local-owned' }), { owner: null, fromLocal: true });
  await copyAction(r.dst, r.src, act({ src: '/dir', dest: '/image/', createDestPath: true }), { owner: null, fromLocal: false });
  const t = await added(r.dst);
  assert.is(t['local/dir/'], '755 0:0');
  assert.is(t['local-owned'], 'O 640 0:0');
  assert.is(t['image/dir/'], '755 1000:1000');
  // an explicit owner wins over fromLocal
  await copyAction(r.dst, r.src, act({ src: '/owned', dest: '/both' }), { owner: { uid: 5, gid: 6 }, fromLocal: true });
  assert.is((await added(r.dst)).both, 'O 640 5:6');
});

test('a context entry is copied with the stats its cache key was hashed from', async () => {
  const r = await roots();
  const file = path.join(r.src, 'dir', 'one');
  const hashed = await fs.lstat(file);
  // the hash walk saw 0600; the file was changed to 0644 after (a later chmod keeps the same bytes)
  contextReads.keepStat(file, Object.assign(Object.create(Object.getPrototypeOf(hashed) as object), hashed, { mode: (hashed.mode & ~0o7777) | 0o600 }));
  await copyAction(r.dst, r.src, act({ src: '/dir', dest: '/hashed/', createDestPath: true }), { owner: null, fromLocal: true });
  assert.is((await fs.lstat(path.join(r.dst, 'hashed', 'dir', 'one'))).mode & 0o7777, 0o600);
  // used once: the next copy asks the filesystem
  await copyAction(r.dst, r.src, act({ src: '/dir', dest: '/again/', createDestPath: true }), { owner: null, fromLocal: true });
  assert.is((await fs.lstat(path.join(r.dst, 'again', 'dir', 'one'))).mode & 0o7777, 0o644);
});

test("a context's own root is copied as 0755 whatever its host mode; its subdirs keep theirs", async () => {
  const r = await roots();
  await fs.mkdir(path.join(r.src, 'private'));
  await fs.chmod(path.join(r.src, 'private'), 0o700);
  await fs.chmod(r.src, 0o700);
  for (const [src, dest, ctx] of [['/', '/all', { owner: null, fromLocal: true }], ['.', '/dot', { owner: null, fromLocal: true }], ['/', '/excl', { owner: null, fromLocal: true, exclude: () => false }]] as [string, string, CopyContext][]) {
    await copyAction(r.dst, r.src, act({ src, dest, excludePatterns: dest === '/excl' ? ['c.md'] : [] }), ctx);
    assert.is((await fs.stat(path.join(r.dst, dest))).mode & 0o7777, 0o755, dest);
    assert.is((await fs.stat(path.join(r.dst, dest, 'private'))).mode & 0o7777, 0o700, `${dest}/private`);
  }
  // from a stage or image the root's mode is what it is
  await copyAction(r.dst, r.src, act({ src: '/', dest: '/image' }), CTX);
  assert.is((await fs.stat(path.join(r.dst, 'image'))).mode & 0o7777, 0o700);
});

test('ADD of an archive: a new destination is 0755 (owned by --chown); an existing one keeps its mode; entries keep theirs', async () => {
  const r = await roots();
  const tree = path.join(r.base, 'tree');
  await fs.mkdir(path.join(tree, 'in'), { recursive: true });
  await fs.writeFile(path.join(tree, 'in', 'f'), 'f');
  await fs.chmod(path.join(tree, 'in'), 0o750);
  execFileSync('tar', ['-cf', path.join(r.src, 'arch.tar'), '-C', tree, 'in']);
  const add = (dest: string) => act({ src: '/arch.tar', dest, attemptUnpack: true, createDestPath: true });
  await copyAction(r.dst, r.src, add('/x/'), { owner: null, fromLocal: true });
  await copyAction(r.dst, r.src, add('/z/'), { owner: { uid: 1000, gid: 1000 }, fromLocal: true });
  await fs.mkdir(path.join(r.dst, 'kept'), { mode: 0o711 });
  await fs.chmod(path.join(r.dst, 'kept'), 0o711);
  await copyAction(r.dst, r.src, add('/kept/'), { owner: null, fromLocal: true });
  const st = async (p: string) => fs.lstat(path.join(r.dst, p));
  assert.is((await st('x')).mode & 0o7777, 0o755);
  assert.is((await st('x/in')).mode & 0o7777, 0o750);
  assert.is((await st('z')).mode & 0o7777, 0o755);
  assert.equal([(await st('z')).uid, (await st('z/in')).uid, (await st('z/in/f')).gid], [1000, 1000, 1000]);
  assert.is((await st('kept')).mode & 0o7777, 0o711);
});

test('exclude skips matching entries (relative to the copied source)', async () => {
  const r = await roots();
  const seen: string[] = [];
  const ctx: CopyContext = { owner: null, fromLocal: true, exclude: (rel) => (seen.push(rel), rel === 'sub' || rel.endsWith('link-one')) };
  await copyAction(r.dst, r.src, act({ src: '/dir', dest: '/ex', dirCopyContents: true, createDestPath: true }), ctx);
  assert.equal(Object.keys(await added(r.dst)), ['ex/', 'ex/abs-link', 'ex/one']);
  assert.ok(seen.includes('one') && seen.includes('sub'));
  assert.not.ok(seen.includes(''), 'the root of the copy is never excluded');
});

test('a copied dir replaces a file in the way; a file replaces a dir entry in a copied tree', async () => {
  const r = await roots();
  await fs.mkdir(path.join(r.dst, 'app'));
  await fs.writeFile(path.join(r.dst, 'app', 'sub'), 'a file where a dir goes');
  await fs.mkdir(path.join(r.dst, 'app', 'one'));
  await fs.writeFile(path.join(r.dst, 'app', 'one', 'x'), 'x');
  await copyAction(r.dst, r.src, act({ src: '/dir', dest: '/app', dirCopyContents: true }), CTX);
  const t = await added(r.dst);
  assert.is(t['app/sub/'], '750 0:0');
  assert.is(t['app/one'], '1 644 0:0');
});

// [name, setup in dst, action, message]
const ERRORS: [string, ((r: Roots) => Promise<unknown>) | null, Partial<CopyAction>, RegExp, Function][] = [
  ['missing source', null, { src: '/nope', dest: '/' }, /^"\/nope": not found$/, NotFoundError],
  ['missing source through a dangling symlink', async (r) => fs.symlink('gone', path.join(r.src, 'dangling')), { src: '/dangling', dest: '/' }, /^"\/dangling": not found$/, NotFoundError],
  ['wildcard matching nothing', null, { src: '/*.none', dest: '/', allowWildcard: true }, /^no source files were specified: "\/\*\.none" matched nothing$/, NotFoundError],
  ['missing destination directory', null, { src: '/a.txt', dest: '/no/such/file' }, /^destination directory "\/no\/such" does not exist$/, NotFoundError],
  ['several sources into a missing directory', null, { src: '/*.txt', dest: '/nodir', allowWildcard: true }, /^destination directory .* does not exist$/, NotFoundError],
  ['createDestPath through a file', null, { src: '/a.txt', dest: '/file/inner/', createDestPath: true }, /^cannot create directory file: a file is in the way$/, BuildError],
  ['bad symbolic mode', null, { src: '/a.txt', dest: '/m', modeStr: 'u+q' }, /^invalid chmod "u\+q"/, BuildError],
];

for (const [name, setup, a, re, cls] of ERRORS) {
  test(`copy fails: ${name}`, async () => {
    const r = await roots();
    if (setup) await setup(r);
    try {
      await copyAction(r.dst, r.src, act(a), CTX);
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, cls);
      assert.match((err as Error).message, re);
    }
  });
}

// destinations through symlinks in the destination tree
const THROUGH: [string, string, string, string][] = [
  // [symlink name in dst, its target, dest, where the file must land (relative to dst)]
  ['etc-link', '/etc', '/etc-link/', 'etc/a.txt'],
  ['up', '../../../..', '/up/', 'a.txt'],
  ['up-abs', '/..', '/up-abs/x/', 'x/a.txt'],
  ['file-link', '/target-file', '/file-link', 'target-file'],
  ['nested', 'existing', '/nested/', 'existing/a.txt'],
];

for (const [name, target, dest, lands] of THROUGH) {
  test(`dest through symlink ${name} -> ${target} stays in the root`, async () => {
    const r = await roots();
    await fs.symlink(target, path.join(r.dst, name));
    await copyAction(r.dst, r.src, act({ src: '/a.txt', dest, createDestPath: true }), CTX);
    assert.is(await fs.readFile(path.join(r.dst, lands), 'utf8'), 'A');
    assert.equal(await fs.readdir(r.outside), []);
    assert.equal((await fs.readdir(r.base)).sort(), ['dst', 'outside', 'src']);
  });
}

test('dest through a symlink to an outside absolute path is re-rooted', async () => {
  const r = await roots();
  await fs.symlink(r.outside, path.join(r.dst, 'out'));
  await copyAction(r.dst, r.src, act({ src: '/dir', dest: '/out/', createDestPath: true }), CTX);
  assert.equal(await fs.readdir(r.outside), []);
  const inside = path.join(r.dst, ...r.outside.split('/').filter(Boolean), 'dir', 'one');
  assert.is(await fs.readFile(inside, 'utf8'), '1');
});

test('source symlinks never reach outside the source root', async () => {
  const r = await roots();
  await fs.writeFile(path.join(r.outside, 'secret'), 'host secret');
  await fs.symlink(path.join(r.outside, 'secret'), path.join(r.src, 'evil'));
  await fs.symlink('../outside/secret', path.join(r.src, 'evil-rel'));
  for (const s of ['/evil', '/evil-rel']) {
    try {
      await copyAction(r.dst, r.src, act({ src: s, dest: '/stolen' }), CTX);
      assert.unreachable(`${s} should not be found`);
    } catch (err) {
      assert.instance(err, NotFoundError);
    }
  }
  // copied as links, they are just links
  await copyAction(r.dst, r.src, act({ src: '/evil', dest: '/l', followSymlink: false }), CTX);
  assert.is(await fs.readlink(path.join(r.dst, 'l')), path.join(r.outside, 'secret'));
});

// only root outside a user namespace may make device nodes
const canMknod = process.getuid?.() === 0 && !inUserNamespace();

test('named pipes and device nodes are made again with their mode, owner, time and numbers; sockets are left out', async () => {
  const r = await roots();
  const dev = path.join(r.src, 'dev');
  await fs.mkdir(dev);
  execFileSync('mknod', ['-m', '0620', path.join(dev, 'pipe'), 'p']);
  if (canMknod) {
    execFileSync('mknod', ['-m', '0666', path.join(dev, 'null'), 'c', '1', '3']);
    execFileSync('mknod', ['-m', '0660', path.join(dev, 'disk'), 'b', '259', '70000']);
    await fs.chown(path.join(dev, 'disk'), 0, 6);
  }
  const server = createServer();
  await new Promise<void>((res) => server.listen(path.join(dev, 'sock'), res));
  try {
    for (const p of ['pipe', 'null', 'disk']) await fs.utimes(path.join(dev, p), T, T).catch(() => undefined);
    await copyAction(r.dst, r.src, act({ src: '/dev', dest: '/out' }), CTX);
  } finally {
    server.close();
  }
  const out = path.join(r.dst, 'out');
  const pipe = await fs.lstat(path.join(out, 'pipe'));
  assert.ok(pipe.isFIFO());
  assert.is(pipe.mode & 0o7777, 0o620);
  assert.is(pipe.mtime.getTime(), T.getTime());
  assert.equal((await fs.readdir(out)).sort(), canMknod ? ['disk', 'null', 'pipe'] : ['pipe']);
  if (!canMknod) return;
  const nul = await fs.lstat(path.join(out, 'null'));
  assert.ok(nul.isCharacterDevice());
  assert.is(nul.rdev, (await fs.lstat(path.join(dev, 'null'))).rdev);
  assert.is(nul.mode & 0o7777, 0o666);
  const disk = await fs.lstat(path.join(out, 'disk'));
  assert.ok(disk.isBlockDevice());
  assert.is(disk.rdev, (await fs.lstat(path.join(dev, 'disk'))).rdev);
  assert.equal([disk.mode & 0o7777, disk.uid, disk.gid], [0o660, 0, 6]);
  assert.is(disk.mtime.getTime(), T.getTime());
});

test.run();
