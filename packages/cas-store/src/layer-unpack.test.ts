import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tarStream from 'tar-stream';
import { IntegrityError } from '@pipekit/wire';
import { packLayer } from './layer-pack.ts';
import { unpackLayer } from './layer-unpack.ts';
import { fileCapability, isOpaqueDir, markOpaque, setFileCapability } from './xattr.ts';

const made: string[] = [];
async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(tmpdir(), 'layer-unpack-test-'));
  made.push(d);
  return d;
}
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

type E = Partial<tarStream.Header> & { name: string; data?: string };
/** A hand-made layer tar, entries written exactly as given. */
async function tarOf(list: E[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const out = collect(pack);
  for (const e of list) {
    const { data, ...h } = e;
    await new Promise<void>((resolve, reject) =>
      pack.entry({ mode: h.type === 'directory' ? 0o755 : 0o644, mtime: new Date(0), uid: 0, gid: 0, ...h }, data ?? '', (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  return out;
}

async function* once(b: Buffer): AsyncGenerator<Uint8Array> {
  yield b;
}
async function* inPieces(b: Buffer, n: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += n) yield b.subarray(i, i + n);
}

const mknod = (p: string, major: number, minor: number, type = 'c') => execFileSync('mknod', [p, type, String(major), String(minor)]);
const T = new Date('2024-01-02T03:04:05.000Z');

async function makeTree(dir: string): Promise<void> {
  await fs.mkdir(path.join(dir, 'a'));
  await fs.writeFile(path.join(dir, 'a', 'file.txt'), 'hello\n');
  await fs.writeFile(path.join(dir, 'a', 'run.sh'), '#!/bin/sh\n');
  await fs.chmod(path.join(dir, 'a', 'run.sh'), 0o755);
  // file capabilities (cap_setuid, cap_net_bind_service): binary, with a 0x80 byte that is not UTF-8
  setFileCapability(path.join(dir, 'a', 'run.sh'), Buffer.from([0x01, 0, 0, 0x02, 0x80, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  await fs.link(path.join(dir, 'a', 'file.txt'), path.join(dir, 'a', 'z-hard'));
  mknod(path.join(dir, 'a', 'gone'), 0, 0);
  await fs.symlink('a/file.txt', path.join(dir, 'link'));
  await fs.symlink('/etc/passwd', path.join(dir, 'abs-link'));
  mknod(path.join(dir, 'deleted'), 0, 0);
  mknod(path.join(dir, 'null'), 1, 3);
  mknod(path.join(dir, 'loop0'), 7, 0, 'b');
  execFileSync('mkfifo', [path.join(dir, 'pipe')]);
  await fs.mkdir(path.join(dir, 'opq', 'sub'), { recursive: true });
  await fs.writeFile(path.join(dir, 'opq', 'inner'), 'in');
  await markOpaque(path.join(dir, 'opq'));
  await fs.mkdir(path.join(dir, 'private'));
  await fs.chmod(path.join(dir, 'private'), 0o700);
  await fs.writeFile(path.join(dir, 'owned'), 'x');
  await fs.chown(path.join(dir, 'owned'), 1000, 2000);
  await fs.chmod(path.join(dir, 'owned'), 0o4755);
  await fs.writeFile(path.join(dir, 'big'), Buffer.alloc(300_000, 7));
  const all: string[] = [];
  const walk = async (d: string) => {
    for (const n of await fs.readdir(d)) {
      const p = path.join(d, n);
      all.push(p);
      if ((await fs.lstat(p)).isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  for (const p of all.reverse()) await fs.lutimes(p, T, T);
}

/** Everything observable about a tree, keyed by relative path. */
async function describe(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    for (const n of (await fs.readdir(path.join(root, rel))).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const abs = path.join(root, r);
      const st = await fs.lstat(abs);
      const common = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        out[r] = `dir ${common} opaque=${await isOpaqueDir(abs)} mtime=${st.mtimeMs}`;
        await walk(r);
      } else if (st.isSymbolicLink()) out[r] = `symlink -> ${await fs.readlink(abs)} ${st.uid}:${st.gid} mtime=${st.mtimeMs}`;
      else if (st.isFile()) out[r] = `file ${common} nlink=${st.nlink} ${(await fs.readFile(abs)).toString('base64').slice(0, 40)} size=${st.size} mtime=${st.mtimeMs} cap=${fileCapability(abs)?.toString('hex') ?? '-'}`;
      else if (st.isCharacterDevice()) out[r] = `char ${st.rdev} ${common}`;
      else if (st.isBlockDevice()) out[r] = `block ${st.rdev} ${common}`;
      else if (st.isFIFO()) out[r] = `fifo ${common}`;
      else out[r] = 'other';
    }
  };
  await walk('');
  return out;
}

test('round trip: unpack(pack(tree)) gives the tree back', async () => {
  const src = await tempDir();
  const dst = await tempDir();
  await makeTree(src);
  const tar = await collect(packLayer(src));
  await unpackLayer(once(tar), dst, { label: 'sha256:test' });
  assert.equal(await describe(dst), await describe(src));
  // the markers became overlay form again
  const gone = await fs.lstat(path.join(dst, 'a', 'gone'));
  assert.ok(gone.isCharacterDevice());
  assert.is(gone.rdev, 0);
  assert.ok((await fs.lstat(path.join(dst, 'deleted'))).isCharacterDevice());
  assert.ok(await isOpaqueDir(path.join(dst, 'opq')));
  assert.not.ok(await isOpaqueDir(path.join(dst, 'a')));
  assert.not.ok(await isOpaqueDir(path.join(dst, 'opq', 'sub')));
  await fs.access(path.join(dst, 'opq', '.wh..wh..opq')).then(() => assert.unreachable('marker file left'), () => undefined);
  await fs.access(path.join(dst, 'a', '.wh.gone')).then(() => assert.unreachable('marker file left'), () => undefined);
  // hard links share an inode
  const [x, y] = await Promise.all([fs.stat(path.join(dst, 'a', 'file.txt')), fs.stat(path.join(dst, 'a', 'z-hard'))]);
  assert.is(x.ino, y.ino);
  // and packing the unpacked tree gives the same bytes (whiteouts are made now, so clamp the times)
  assert.ok((await collect(packLayer(dst, { mtime: T }))).equals(await collect(packLayer(src, { mtime: T }))));
});

test('round trip in small chunks', async () => {
  const src = await tempDir();
  await makeTree(src);
  const tar = await collect(packLayer(src));
  for (const n of [1000, 513, 4096]) {
    const dst = await tempDir();
    await unpackLayer(inPieces(tar, n), dst, { label: 'chunks' });
    assert.equal(await describe(dst), await describe(src), `chunks of ${n}`);
  }
});

test('rootless unpack marks opaque dirs with the user xattr', async () => {
  const dst = await tempDir();
  await unpackLayer(once(await tarOf([{ name: 'd/', type: 'directory' }, { name: 'd/.wh..wh..opq', type: 'file' }])), dst, { label: 'l', rootless: true });
  assert.ok(await isOpaqueDir(path.join(dst, 'd')));
});

test('unpack applies a layer over existing content', async () => {
  const dst = await tempDir();
  await fs.mkdir(path.join(dst, 'dir', 'deep'), { recursive: true });
  await fs.writeFile(path.join(dst, 'dir', 'deep', 'f'), 'old');
  await fs.writeFile(path.join(dst, 'file-to-dir'), 'was a file');
  await fs.mkdir(path.join(dst, 'dir-to-file'));
  await fs.writeFile(path.join(dst, 'dir-to-file', 'child'), 'c');
  await fs.writeFile(path.join(dst, 'replaced'), 'old content');
  await fs.symlink('nowhere', path.join(dst, 'relinked'));
  await fs.mkdir(path.join(dst, 'kept'));
  await fs.writeFile(path.join(dst, 'kept', 'old'), 'o');
  const tar = await tarOf([
    { name: '.wh.dir', type: 'file' },
    { name: 'file-to-dir/', type: 'directory' },
    { name: 'file-to-dir/x', type: 'file', data: 'x' },
    { name: 'dir-to-file', type: 'file', data: 'now a file' },
    { name: 'replaced', type: 'file', data: 'new', mode: 0o600 },
    { name: 'relinked', type: 'symlink', linkname: 'replaced' },
    { name: 'kept/', type: 'directory', mode: 0o750 },
    { name: 'kept/new', type: 'file', data: 'n' },
  ]);
  await unpackLayer(once(tar), dst, { label: 'l' });
  const dir = await fs.lstat(path.join(dst, 'dir'));
  assert.ok(dir.isCharacterDevice() && dir.rdev === 0, 'whiteout replaces a whole dir');
  assert.ok((await fs.lstat(path.join(dst, 'file-to-dir'))).isDirectory());
  assert.is(await fs.readFile(path.join(dst, 'file-to-dir', 'x'), 'utf8'), 'x');
  assert.is(await fs.readFile(path.join(dst, 'dir-to-file'), 'utf8'), 'now a file');
  assert.is(await fs.readFile(path.join(dst, 'replaced'), 'utf8'), 'new');
  assert.is((await fs.stat(path.join(dst, 'replaced'))).mode & 0o777, 0o600);
  assert.is(await fs.readlink(path.join(dst, 'relinked')), 'replaced');
  assert.equal((await fs.readdir(path.join(dst, 'kept'))).sort(), ['new', 'old'], 'a dir over a dir merges');
  assert.is((await fs.stat(path.join(dst, 'kept'))).mode & 0o777, 0o750);
});

test('names are cleaned: leading slash, ./ and double slashes stay inside the root', async () => {
  const dst = await tempDir();
  const tar = await tarOf([
    { name: '/abs/file', type: 'file', data: 'a' },
    { name: './dot/file', type: 'file', data: 'b' },
    { name: 'dbl//slash/./file', type: 'file', data: 'c' },
    { name: './', type: 'directory' },
    { name: '/', type: 'directory' },
  ]);
  await unpackLayer(once(tar), dst, { label: 'l' });
  assert.is(await fs.readFile(path.join(dst, 'abs', 'file'), 'utf8'), 'a');
  assert.is(await fs.readFile(path.join(dst, 'dot', 'file'), 'utf8'), 'b');
  assert.is(await fs.readFile(path.join(dst, 'dbl', 'slash', 'file'), 'utf8'), 'c');
  // implicit parents are created 0755
  assert.is((await fs.stat(path.join(dst, 'abs'))).mode & 0o777, 0o755);
});

type Escape = { name: string; entries: (outside: string) => E[]; message: (outside: string) => string };
const ESCAPES: Escape[] = [
  { name: '../escape', entries: () => [{ name: '../escape', type: 'file', data: 'x' }], message: () => 'layer sha256:bad: entry "../escape" escapes the root' },
  { name: 'a/../../escape', entries: () => [{ name: 'a/../../escape', type: 'file', data: 'x' }], message: () => 'layer sha256:bad: entry "a/../../escape" escapes the root' },
  { name: '.. as a directory', entries: () => [{ name: '../', type: 'directory' }], message: () => 'layer sha256:bad: entry "../" escapes the root' },
  { name: '../ symlink', entries: () => [{ name: 'ok', type: 'file' }, { name: 'x/../../l', type: 'symlink', linkname: '/' }], message: () => 'layer sha256:bad: entry "x/../../l" escapes the root' },
  { name: 'whiteout outside', entries: () => [{ name: '../.wh.victim', type: 'file' }], message: () => 'layer sha256:bad: entry "../.wh.victim" escapes the root' },
  {
    name: 'absolute symlinked parent',
    entries: (outside) => [{ name: 'a', type: 'symlink', linkname: outside }, { name: 'a/file', type: 'file', data: 'pwned' }],
    message: () => 'layer sha256:bad: entry "a/file" would be written through non-directory "a"',
  },
  {
    name: 'relative symlinked parent',
    entries: () => [{ name: 'a', type: 'symlink', linkname: '../../../..' }, { name: 'a/file', type: 'file', data: 'pwned' }],
    message: () => 'layer sha256:bad: entry "a/file" would be written through non-directory "a"',
  },
  {
    name: 'symlinked parent deeper down',
    entries: (outside) => [
      { name: 'd/', type: 'directory' },
      { name: 'd/l', type: 'symlink', linkname: outside },
      { name: 'd/l/sub/file', type: 'file', data: 'pwned' },
    ],
    message: () => 'layer sha256:bad: entry "d/l/sub/file" would be written through non-directory "d/l"',
  },
  {
    name: 'directory entry through a symlink',
    entries: (outside) => [{ name: 'a', type: 'symlink', linkname: outside }, { name: 'a/newdir/', type: 'directory' }],
    message: () => 'layer sha256:bad: entry "a/newdir/" would be written through non-directory "a"',
  },
  {
    name: 'symlink through a symlink',
    entries: (outside) => [{ name: 'a', type: 'symlink', linkname: outside }, { name: 'a/l', type: 'symlink', linkname: '/etc' }],
    message: () => 'layer sha256:bad: entry "a/l" would be written through non-directory "a"',
  },
  {
    name: 'whiteout through a symlink',
    entries: (outside) => [{ name: 'a', type: 'symlink', linkname: outside }, { name: 'a/.wh.victim', type: 'file' }],
    message: () => 'layer sha256:bad: entry "a/.wh.victim" would be written through non-directory "a"',
  },
  {
    name: 'opaque marker through a symlink',
    entries: (outside) => [{ name: 'a', type: 'symlink', linkname: outside }, { name: 'a/.wh..wh..opq', type: 'file' }],
    message: () => 'layer sha256:bad: entry "a/.wh..wh..opq" would be written through non-directory "a"',
  },
  {
    name: 'a file as a parent',
    entries: () => [{ name: 'f', type: 'file', data: 'f' }, { name: 'f/x', type: 'file', data: 'x' }],
    message: () => 'layer sha256:bad: entry "f/x" would be written through non-directory "f"',
  },
  {
    name: 'hard link escaping by name',
    entries: () => [{ name: 'h', type: 'link', linkname: '../victim' }],
    message: () => 'layer sha256:bad: entry "../victim" escapes the root',
  },
  {
    name: 'hard link to a missing file',
    entries: () => [{ name: 'h', type: 'link', linkname: 'nope' }],
    message: () => 'layer sha256:bad: entry "h" is a hard link to missing "nope"',
  },
  {
    name: 'hard link to a directory',
    entries: () => [{ name: 'd/', type: 'directory' }, { name: 'h', type: 'link', linkname: 'd' }],
    message: () => 'layer sha256:bad: entry "h" is a hard link to a directory "d"',
  },
  // regressions: each of these once wrote or linked outside the root
  {
    name: 'whiteout of ".." (would delete the parent of the root)',
    entries: () => [{ name: '.wh...', type: 'file' }],
    message: () => 'layer sha256:bad: entry ".wh..." is a whiteout that points outside its directory',
  },
  {
    name: 'whiteout of "."',
    entries: () => [{ name: 'x/.wh..', type: 'file' }],
    message: () => 'layer sha256:bad: entry "x/.wh.." is a whiteout that points outside its directory',
  },
  {
    name: 'directory later replaced by a symlink, then written through',
    entries: (outside: string) => [{ name: 'a/', type: 'directory' }, { name: 'a', type: 'symlink', linkname: outside }, { name: 'a/file', type: 'file', data: 'x' }],
    message: () => 'layer sha256:bad: entry "a/file" would be written through non-directory "a"',
  },
  {
    name: 'hard link through a symlinked parent',
    entries: (outside: string) => [{ name: 's', type: 'symlink', linkname: outside }, { name: 'h', type: 'link', linkname: 's/victim' }],
    message: () => 'layer sha256:bad: entry "h" would be written through non-directory "s"',
  },
];

test('a truncated tar is refused with an IntegrityError, not a crash', async () => {
  const tar = await tarOf([{ name: 'f', type: 'file', data: 'x'.repeat(2000) }]);
  const root = await tempDir();
  try {
    await unpackLayer(once(tar.subarray(0, 700)), root, { label: 'sha256:cut' });
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, IntegrityError);
    assert.match((err as Error).message, /^layer sha256:cut: not a valid tar stream/);
  }
});

test('entry and byte limits stop decompression bombs', async () => {
  const many = await tarOf(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, type: 'file' as const, data: 'x' })));
  try {
    await unpackLayer(once(many), await tempDir(), { label: 'sha256:many', limits: { maxEntries: 10 } });
    assert.unreachable('should throw');
  } catch (err) {
    assert.match((err as Error).message, /exceeds the limit of 10 entries/);
  }
  try {
    await unpackLayer(once(many), await tempDir(), { label: 'sha256:big', limits: { maxBytes: 5 } });
    assert.unreachable('should throw');
  } catch (err) {
    assert.match((err as Error).message, /takes the layer past 5 bytes/);
  }
});

test('a name component longer than 255 bytes is refused', async () => {
  const tar = await tarOf([{ name: `${'n'.repeat(300)}`, type: 'file', data: 'x' }]);
  try {
    await unpackLayer(once(tar), await tempDir(), { label: 'sha256:long' });
    assert.unreachable('should throw');
  } catch (err) {
    assert.match((err as Error).message, /has a name longer than 255 bytes/);
  }
});

for (const c of ESCAPES) {
  test(`unpack refuses: ${c.name}`, async () => {
    const base = await tempDir();
    const outside = path.join(base, 'outside');
    const root = path.join(base, 'deep', 'root');
    await fs.mkdir(outside);
    await fs.mkdir(root, { recursive: true });
    await fs.writeFile(path.join(outside, 'victim'), 'keep me');
    await fs.writeFile(path.join(base, 'deep', 'victim'), 'keep me too');
    const before = await describe(base);
    try {
      await unpackLayer(once(await tarOf(c.entries(outside))), root, { label: 'sha256:bad' });
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, IntegrityError);
      assert.is((err as Error).message, c.message(outside));
    }
    // nothing outside the root changed
    const after = await describe(base);
    for (const k of Object.keys(after)) if (k.startsWith('deep/root/')) delete after[k];
    for (const k of Object.keys(before)) if (k.startsWith('deep/root/')) delete before[k];
    delete after['deep/root'];
    delete before['deep/root'];
    delete after.deep;
    delete before.deep;
    assert.equal(after, before);
    assert.equal(await fs.readdir(outside), ['victim']);
    assert.is(await fs.readFile(path.join(outside, 'victim'), 'utf8'), 'keep me');
  });
}

test('unpack rejects a damaged archive', async () => {
  const dst = await tempDir();
  const good = await tarOf([{ name: 'f', type: 'file', data: 'x'.repeat(2000) }]);
  const bad: Buffer[] = [Buffer.from('this is not a tar archive at all'.repeat(20))];
  for (const b of bad) {
    let failed = false;
    await unpackLayer(once(b), dst, { label: 'l' }).catch(() => (failed = true));
    assert.ok(failed, 'should fail');
  }
});

test('an empty archive unpacks to nothing', async () => {
  const dst = await tempDir();
  await unpackLayer(once(await tarOf([])), dst, { label: 'l' });
  assert.equal(await fs.readdir(dst), []);
});

test.run();
