import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFileCapability, Store } from '@pipekit/cas-store';
import { contentHash } from './contenthash.ts';
import { DigestIndex } from './digest-index.ts';

const made: string[] = [];
async function temp(prefix: string): Promise<string> {
  const d = await fs.mkdtemp(path.join(tmpdir(), `digest-index-${prefix}-`));
  made.push(d);
  return d;
}
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function context(): Promise<string> {
  const dir = await temp('ctx');
  await fs.mkdir(path.join(dir, 'src'));
  for (let i = 0; i < 20; i++) await fs.writeFile(path.join(dir, 'src', `f${i}.txt`), `file ${i}\n`);
  await fs.writeFile(path.join(dir, 'big.bin'), Buffer.alloc(2 * 1024 * 1024, 7));
  return dir;
}

const savedRows = async (store: Store) => {
  const dir = path.join(store.dir, 'contexts');
  const files = await fs.readdir(dir).catch(() => [] as string[]);
  if (files.length === 0) return {};
  return JSON.parse(await fs.readFile(path.join(dir, files[0]), 'utf8')).files as Record<string, unknown>;
};

test('with an index the hash equals a plain hash, through edits that keep size and mtime', async () => {
  const dir = await context();
  const store = await Store.open(await temp('store'));
  await sleep(1100); // older than the settle time: remembered
  const index = await DigestIndex.open(store, dir);
  const plain = () => contentHash(dir, '.', { context: true, ignoreOwner: true });
  const indexed = async () => {
    const h = await contentHash(dir, '.', { context: true, ignoreOwner: true, index });
    await index.save();
    return h;
  };
  assert.is(await indexed(), await plain());
  assert.ok('src/f3.txt' in (await savedRows(store)), 'small file remembered');
  assert.ok('big.bin' in (await savedRows(store)), 'large file remembered');
  assert.is(await indexed(), await plain(), 'unchanged');
  // same size, mtime put back: only ctime tells
  const f = path.join(dir, 'src', 'f3.txt');
  const st = await fs.stat(f);
  await fs.writeFile(f, 'FILE 3\n');
  await fs.utimes(f, st.atime, st.mtime);
  const after = await plain();
  assert.is(await indexed(), after, 'a rewritten file is hashed again');
  // touched only: same digest, and so the same key
  await fs.utimes(path.join(dir, 'src', 'f4.txt'), new Date(), new Date());
  assert.is(await indexed(), after);
  // a replaced file (new inode) of the same size and times
  const g = path.join(dir, 'src', 'f5.txt');
  const gst = await fs.stat(g);
  await fs.writeFile(`${g}.new`, 'FILE 5\n');
  await fs.utimes(`${g}.new`, gst.atime, gst.mtime);
  await fs.rename(`${g}.new`, g);
  assert.is(await indexed(), await plain(), 'a replaced file is hashed again');
});

test("a program's capabilities are remembered with its digest; setting new ones (a ctime change) is seen", async () => {
  const dir = await context();
  const prog = path.join(dir, 'prog');
  await fs.writeFile(prog, 'elf');
  await fs.chmod(prog, 0o755);
  // cap_net_bind_service=+ep (VFS_CAP_REVISION_2)
  const cap = (bit: number) => Buffer.from([0x01, 0, 0, 0x02, ...[bit, 0, 0, 0], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.ok(setFileCapability(prog, cap(0x04)));
  const store = await Store.open(await temp('store'));
  await sleep(1100);
  const index = await DigestIndex.open(store, dir);
  const plain = () => contentHash(dir, '.', { context: true, ignoreOwner: true });
  const indexed = () => contentHash(dir, '.', { context: true, ignoreOwner: true, index });
  assert.is(await indexed(), await plain());
  await index.save();
  assert.match(String((await savedRows(store)).prog), /cap=01000002/, 'the capabilities are in the remembered row');
  assert.is(await indexed(), await plain(), 'unchanged, from the index');
  assert.ok(setFileCapability(prog, cap(0x08)));
  assert.is(await indexed(), await plain(), 'new capabilities are read again');
});

test('files changed within the settle time are not remembered', async () => {
  const dir = await context();
  const store = await Store.open(await temp('store'));
  const index = await DigestIndex.open(store, dir);
  await contentHash(dir, '.', { context: true, ignoreOwner: true, index });
  await index.save();
  assert.equal(await savedRows(store), {}, 'nothing settled yet');
});

test('an index is per directory and survives a new process (reopened from the store)', async () => {
  const a = await context();
  const b = await context();
  const store = await Store.open(await temp('store'));
  await sleep(1100);
  const ia = await DigestIndex.open(store, a);
  assert.is(await DigestIndex.open(store, a), ia, 'one instance per dir');
  assert.is.not(await DigestIndex.open(store, b), ia);
  await contentHash(a, '.', { context: true, ignoreOwner: true, index: ia });
  assert.equal(await savedRows(store), {}, 'written once, when the build ends');
  await DigestIndex.saveAll();
  const files = await fs.readdir(path.join(store.dir, 'contexts'));
  assert.is(files.length, 1);
  const saved = JSON.parse(await fs.readFile(path.join(store.dir, 'contexts', files[0]), 'utf8'));
  assert.is(saved.dir, path.resolve(a));
  assert.is(Object.keys(saved.files).length, 21);
});

test('a corrupt index file is ignored, then replaced', async () => {
  const dir = await context();
  const store = await Store.open(await temp('store'));
  const file = path.join(store.dir, 'contexts', `${createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 32)}.json`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, '{not json');
  await sleep(1100);
  const index = await DigestIndex.open(store, dir);
  assert.is(await contentHash(dir, '.', { context: true, ignoreOwner: true, index }), await contentHash(dir, '.', { context: true, ignoreOwner: true }));
  await index.save();
  assert.is(Object.keys(JSON.parse(await fs.readFile(file, 'utf8')).files).length, 21);
});

test.run();
