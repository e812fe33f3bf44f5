import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tarStream from 'tar-stream';
import { packLayer } from './layer-pack.ts';
import { fileCapability, markOpaque, setFileCapability } from './xattr.ts';
import { dirBytes } from './disk-usage.ts';

type Entry = {
  name: string; type: string; mode: number; uid: number; gid: number; size: number; mtime: number;
  linkname: string | null; uname: string; gname: string; devmajor: number; devminor: number; data: string;
};

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

async function entries(tar: Buffer): Promise<Entry[]> {
  const out: Entry[] = [];
  const extract = tarStream.extract();
  extract.end(tar);
  for await (const e of extract) {
    const parts: Buffer[] = [];
    for await (const c of e) parts.push(Buffer.from(c as Uint8Array));
    const h = e.header;
    out.push({
      name: h.name, type: h.type ?? 'file', mode: h.mode ?? 0, uid: h.uid ?? -1, gid: h.gid ?? -1, size: h.size ?? 0,
      mtime: h.mtime ? h.mtime.getTime() / 1000 : -1, linkname: h.linkname ?? null, uname: h.uname ?? 'unset',
      gname: h.gname ?? 'unset', devmajor: h.devmajor ?? 0, devminor: h.devminor ?? 0, data: Buffer.concat(parts).toString(),
    });
  }
  return out;
}

const made: string[] = [];
async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(tmpdir(), 'layer-pack-test-'));
  made.push(d);
  return d;
}
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

const mknod = (p: string, major: number, minor: number, type = 'c') => execFileSync('mknod', [p, type, String(major), String(minor)]);
const T = new Date('2024-01-02T03:04:05.678Z');

/** The tree every test packs; `order` changes the creation order only. */
async function makeTree(dir: string, reverse = false): Promise<void> {
  const steps: (() => Promise<void>)[] = [
    async () => {
      await fs.mkdir(path.join(dir, 'a'));
      await fs.writeFile(path.join(dir, 'a', 'file.txt'), 'hello\n');
      await fs.chmod(path.join(dir, 'a', 'file.txt'), 0o644);
      await fs.writeFile(path.join(dir, 'a', 'run.sh'), '#!/bin/sh\n');
      await fs.chmod(path.join(dir, 'a', 'run.sh'), 0o755);
      await fs.link(path.join(dir, 'a', 'file.txt'), path.join(dir, 'a', 'z-hard'));
      mknod(path.join(dir, 'a', 'gone'), 0, 0);
    },
    async () => {
      await fs.symlink('a/file.txt', path.join(dir, 'link'));
      await fs.symlink('/etc/passwd', path.join(dir, 'abs-link'));
    },
    async () => {
      mknod(path.join(dir, 'deleted'), 0, 0);
      mknod(path.join(dir, 'null'), 1, 3);
      mknod(path.join(dir, 'loop0'), 7, 0, 'b');
      execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    },
    async () => {
      await fs.mkdir(path.join(dir, 'opq'));
      await fs.writeFile(path.join(dir, 'opq', 'inner'), 'in');
      await markOpaque(path.join(dir, 'opq'));
      await fs.mkdir(path.join(dir, 'empty'), { mode: 0o700 });
      await fs.chmod(path.join(dir, 'empty'), 0o700);
      await fs.writeFile(path.join(dir, 'owned'), 'x');
      await fs.chown(path.join(dir, 'owned'), 1000, 2000);
      await fs.chmod(path.join(dir, 'owned'), 0o4755);
      await fs.writeFile(path.join(dir, 'B-upper'), '');
    },
  ];
  for (const s of reverse ? steps.reverse() : steps) await s();
  // fixed times so two trees made at different moments match
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

const NAMES = [
  'B-upper',
  'a/',
  'a/file.txt',
  'a/.wh.gone',
  'a/run.sh',
  'a/z-hard',
  'abs-link',
  '.wh.deleted',
  'empty/',
  'link',
  'loop0',
  'null',
  'opq/',
  'opq/.wh..wh..opq',
  'opq/inner',
  'owned',
  'pipe',
];

test('pack: entry names in sorted walk order, with whiteouts and the opaque marker', async () => {
  const dir = await tempDir();
  await makeTree(dir);
  const got = await entries(await collect(packLayer(dir)));
  assert.equal(got.map((e) => e.name), NAMES);
});

test('pack: entry types, modes, links, devices and contents', async () => {
  const dir = await tempDir();
  await makeTree(dir);
  const got = new Map((await entries(await collect(packLayer(dir)))).map((e) => [e.name, e]));
  const expect: Record<string, Partial<Entry>> = {
    'B-upper': { type: 'file', size: 0, mode: 0o644, data: '' },
    'a/': { type: 'directory', mode: 0o755 },
    'a/file.txt': { type: 'file', size: 6, mode: 0o644, data: 'hello\n' },
    // (the packer asks for mode 0 on markers; tar-stream writes 0644 for a 0 mode, so the mode is not checked)
    'a/.wh.gone': { type: 'file', size: 0, data: '' },
    'a/run.sh': { type: 'file', mode: 0o755, data: '#!/bin/sh\n' },
    'a/z-hard': { type: 'link', linkname: 'a/file.txt', size: 0, data: '' },
    'abs-link': { type: 'symlink', linkname: '/etc/passwd' },
    '.wh.deleted': { type: 'file', size: 0, data: '' },
    'empty/': { type: 'directory', mode: 0o700 },
    link: { type: 'symlink', linkname: 'a/file.txt' },
    loop0: { type: 'block-device', devmajor: 7, devminor: 0 },
    null: { type: 'character-device', devmajor: 1, devminor: 3 },
    'opq/': { type: 'directory' },
    'opq/.wh..wh..opq': { type: 'file', size: 0, data: '' },
    'opq/inner': { type: 'file', data: 'in' },
    owned: { type: 'file', uid: 1000, gid: 2000, mode: 0o4755 },
    pipe: { type: 'fifo' },
  };
  for (const [name, want] of Object.entries(expect)) {
    const e = got.get(name);
    assert.ok(e, `entry ${name}`);
    for (const [k, v] of Object.entries(want)) assert.equal(e![k as keyof Entry], v, `${name}.${k}`);
  }
  for (const e of got.values()) {
    assert.is(e.uname, '', `${e.name} has no user name`);
    assert.is(e.gname, '', `${e.name} has no group name`);
    // whiteouts are dated 0, as containerd 2 writes them
    assert.is(e.mtime, path.basename(e.name).startsWith('.wh.') ? 0 : Math.floor(T.getTime() / 1000), `${e.name} mtime in whole seconds`);
    if (e.name !== 'owned') assert.equal([e.uid, e.gid], [0, 0], `${e.name} owner`);
  }
});

test('pack: the same tree packs to identical bytes, whatever the creation order', async () => {
  const one = await tempDir();
  const two = await tempDir();
  await makeTree(one);
  await makeTree(two, true);
  const a = await collect(packLayer(one));
  const b = await collect(packLayer(one));
  const c = await collect(packLayer(two));
  assert.ok(a.equals(b), 'packing twice');
  assert.ok(a.equals(c), 'packing an equal tree');
  assert.is(a.length % 512, 0);
});

test('pack: mtime option clamps every entry', async () => {
  const dir = await tempDir();
  await makeTree(dir);
  const clamp = new Date('2000-01-01T00:00:00Z');
  const got = await entries(await collect(packLayer(dir, { mtime: clamp })));
  assert.is(got.length, NAMES.length);
  for (const e of got) assert.is(e.mtime, path.basename(e.name).startsWith('.wh.') ? 0 : clamp.getTime() / 1000, e.name);
  // and so the bytes no longer depend on the files' times
  await fs.utimes(path.join(dir, 'a', 'file.txt'), new Date(), new Date());
  const again = await collect(packLayer(dir, { mtime: clamp }));
  assert.ok(again.equals(await collect(packLayer(dir, { mtime: clamp }))));
  const unclamped = await entries(await collect(packLayer(dir)));
  assert.is.not(unclamped.find((e) => e.name === 'a/file.txt')!.mtime, Math.floor(T.getTime() / 1000));
});

test('pack: changing content, mode or a link target changes the tar', async () => {
  const dir = await tempDir();
  await makeTree(dir);
  const digest = async () => createHash('sha256').update(await collect(packLayer(dir, { mtime: T }))).digest('hex');
  const seen = new Set([await digest()]);
  const changes: (() => Promise<void>)[] = [
    () => fs.writeFile(path.join(dir, 'B-upper'), 'x'),
    () => fs.chmod(path.join(dir, 'a', 'run.sh'), 0o700),
    async () => {
      await fs.rm(path.join(dir, 'link'));
      await fs.symlink('a/run.sh', path.join(dir, 'link'));
    },
    () => fs.chown(path.join(dir, 'B-upper'), 5, 5),
    () => fs.mkdir(path.join(dir, 'new-dir')),
  ];
  for (const change of changes) {
    await change();
    const d = await digest();
    assert.not.ok(seen.has(d));
    seen.add(d);
  }
});

test('pack: hard links anywhere in the tree point at the first name in walk order', async () => {
  const dir = await tempDir();
  await fs.mkdir(path.join(dir, 'x'));
  await fs.mkdir(path.join(dir, 'y'));
  await fs.writeFile(path.join(dir, 'y', 'orig'), 'data');
  await fs.link(path.join(dir, 'y', 'orig'), path.join(dir, 'x', 'second'));
  await fs.link(path.join(dir, 'y', 'orig'), path.join(dir, 'y', 'third'));
  // a file with links outside the packed dir is still stored once, as a file
  const outside = await tempDir();
  await fs.writeFile(path.join(dir, 'solo'), 'solo');
  await fs.link(path.join(dir, 'solo'), path.join(outside, 'elsewhere'));
  const got = await entries(await collect(packLayer(dir)));
  assert.equal(got.map((e) => [e.name, e.type, e.type === 'link' ? e.linkname : '', e.data]), [
    ['solo', 'file', '', 'solo'],
    ['x/', 'directory', '', ''],
    ['x/second', 'file', '', 'data'],
    ['y/', 'directory', '', ''],
    ['y/orig', 'link', 'x/second', ''],
    ['y/third', 'link', 'x/second', ''],
  ]);
});

test('pack: empty dir gives an empty archive; sockets are skipped', async () => {
  const dir = await tempDir();
  const empty = await collect(packLayer(dir));
  assert.equal(await entries(empty), []);
  assert.is(empty.length % 512, 0);
  const sock = path.join(dir, 's.sock');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  try {
    await fs.writeFile(path.join(dir, 'f'), 'f');
    const got = await entries(await collect(packLayer(dir)));
    assert.equal(got.map((e) => e.name), ['f']);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('pack: deep nesting and odd names', async () => {
  const dir = await tempDir();
  const deep = path.join(dir, 'd1', 'd2', 'd3');
  await fs.mkdir(deep, { recursive: true });
  const names = ['sp ace', 'é', '-dash', '.hidden', 'UPPER', 'lower', '10', '9'];
  for (const n of names) await fs.writeFile(path.join(deep, n), n);
  mknod(path.join(deep, 'wh'), 0, 0);
  const got = await entries(await collect(packLayer(dir)));
  assert.equal(got.map((e) => e.name), [
    'd1/', 'd1/d2/', 'd1/d2/d3/',
    ...['-dash', '.hidden', '10', '9', 'UPPER', 'lower', 'sp ace', 'd1/d2/d3/.wh.wh', 'é'].map((n) => (n.startsWith('d1/') ? n : `d1/d2/d3/${n}`)),
  ]);
  assert.is(got.find((e) => e.name === 'd1/d2/d3/é')!.data, 'é');
});

test('pack: long names, long link targets and large ids survive (pax), as GNU tar reads them', async () => {
  const dir = await tempDir();
  const longDir = `${'d'.repeat(120)}/${'e'.repeat(90)}`;
  const longName = `${'n'.repeat(150)}.txt`;
  await fs.mkdir(path.join(dir, longDir), { recursive: true });
  await fs.writeFile(path.join(dir, longDir, 'short'), 's');
  await fs.writeFile(path.join(dir, longName), 'long');
  await fs.symlink(`/${'t'.repeat(130)}`, path.join(dir, 'far'));
  await fs.writeFile(path.join(dir, 'ünï'), 'u');
  await fs.writeFile(path.join(dir, 'big-id'), 'b');
  await fs.chown(path.join(dir, 'big-id'), 3000000, 3000001);
  const tar = await collect(packLayer(dir));
  const got = new Map((await entries(tar)).map((e) => [e.name, e]));
  assert.is(got.get(`${longDir}/short`)?.data, 's');
  assert.is(got.get(longName)?.data, 'long');
  assert.is(got.get('far')?.linkname, `/${'t'.repeat(130)}`);
  assert.is(got.get('ünï')?.data, 'u');
  assert.equal([got.get('big-id')?.uid, got.get('big-id')?.gid], [3000000, 3000001]);
  const file = path.join(await tempDir(), 'l.tar');
  await fs.writeFile(file, tar);
  const listed = execFileSync('tar', ['--numeric-owner', '-tvf', file], { encoding: 'utf8' });
  for (const want of [`${longDir}/short`, longName, `far -> /${'t'.repeat(130)}`, 'ünï', '3000000/3000001']) assert.ok(listed.includes(want), `GNU tar lists ${want.slice(0, 40)}`);
});

test('pack: known contents stand in for a file only while its inode and size match', async () => {
  const dir = await tempDir();
  await fs.writeFile(path.join(dir, 'a.txt'), 'real');
  await fs.writeFile(path.join(dir, 'b.txt'), 'real');
  await fs.writeFile(path.join(dir, 'c.txt'), 'real');
  const ino = async (f: string) => (await fs.lstat(path.join(dir, f))).ino;
  const known = new Map([
    ['a.txt', { ino: await ino('a.txt'), data: Buffer.from('KNWN') }], // used: proves no read happened
    ['b.txt', { ino: (await ino('b.txt')) + 1, data: Buffer.from('KNWN') }], // another inode: read
    ['c.txt', { ino: await ino('c.txt'), data: Buffer.from('longer') }], // another size: read
  ]);
  const got = new Map((await entries(await collect(packLayer(dir, { known })))).map((e) => [e.name, e.data]));
  assert.equal([got.get('a.txt'), got.get('b.txt'), got.get('c.txt')], ['KNWN', 'real', 'real']);
});

test('pack: a known entry with stats is not asked again (its writer vouches for them)', async () => {
  const dir = await tempDir();
  await fs.writeFile(path.join(dir, 'a.txt'), 'real');
  await fs.writeFile(path.join(dir, 'b.txt'), 'real');
  const st = await fs.lstat(path.join(dir, 'a.txt'));
  // a mode the file does not have: it shows in the header only if the stats given were used
  const vouched = Object.assign(Object.create(Object.getPrototypeOf(st) as object), st, { mode: (st.mode & ~0o7777) | 0o640 });
  const known = new Map([['a.txt', { ino: st.ino, data: Buffer.from('KNWN'), st: vouched }]]);
  const got = new Map((await entries(await collect(packLayer(dir, { known })))).map((e) => [e.name, e]));
  assert.is(got.get('a.txt')?.mode, 0o640);
  assert.is(got.get('a.txt')?.data, 'KNWN');
  assert.is(got.get('b.txt')?.mode, st.mode & 0o7777, 'an entry without stats is lstat-ed');
});

// VFS_CAP_REVISION_2 with the effective flag; permitted: cap_setuid (7) and cap_net_bind_service (10), so a 0x80 byte
const CAP_BYTES = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0x04, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

test("pack: a program's file capabilities go into the layer as a pax xattr record, byte for byte", async () => {
  const dir = await tempDir();
  for (const [f, mode] of [['prog', 0o755], ['data', 0o644]] as const) {
    await fs.writeFile(path.join(dir, f), 'x');
    await fs.chmod(path.join(dir, f), mode);
    assert.ok(setFileCapability(path.join(dir, f), CAP_BYTES), 'root may set capabilities');
  }
  assert.ok(fileCapability(path.join(dir, 'prog'))?.equals(CAP_BYTES));
  const tar = await collect(packLayer(dir));
  const key = Buffer.from('SCHILY.xattr.security.capability=');
  const at = tar.indexOf(key);
  assert.ok(at > 0, 'the record is there');
  assert.ok(tar.subarray(at + key.length, at + key.length + CAP_BYTES.length).equals(CAP_BYTES));
  assert.is(tar.indexOf(key, at + 1), -1, 'a file nobody can run is not asked (one syscall saved per data file)');
  const got = (await entries(tar)).find((e) => e.name === 'prog');
  assert.is(got?.data, 'x', 'the entry itself is intact');
});

test('pack: measures the tree as dirBytes does', async () => {
  const dir = await tempDir();
  await makeTree(dir);
  const measured = { bytes: -1 };
  await collect(packLayer(dir, { measured }));
  assert.is(measured.bytes, await dirBytes(dir));
});

test('pack: a missing dir makes the stream fail', async () => {
  const dir = path.join(await tempDir(), 'nope');
  try {
    await collect(packLayer(dir));
    assert.unreachable('should fail');
  } catch (err) {
    assert.match((err as Error).message, /ENOENT/);
  }
});

test.run();
