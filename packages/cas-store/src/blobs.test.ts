import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IntegrityError, NotFoundError } from '@pipekit/wire';
import { BlobStore, short } from './blobs.ts';

const made: string[] = [];
async function freshStore(): Promise<{ dir: string; blobs: BlobStore }> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'blobs-test-'));
  made.push(dir);
  return { dir, blobs: new BlobStore(dir) };
}
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

const digestOf = (b: string | Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const tmpFiles = async (dir: string) => fs.readdir(path.join(dir, 'tmp')).catch(() => [] as string[]);
const blobFiles = async (dir: string) => fs.readdir(path.join(dir, 'blobs', 'sha256')).catch(() => [] as string[]);

async function* gen(parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

// [name, source factory, expected bytes]
const SOURCES: [string, () => string | Uint8Array | AsyncIterable<Uint8Array>, Buffer][] = [
  ['empty string', () => '', Buffer.alloc(0)],
  ['string', () => 'hello\n', Buffer.from('hello\n')],
  ['utf-8 string', () => 'é😀', Buffer.from('é😀')],
  ['Uint8Array', () => new Uint8Array([0, 1, 2, 255]), Buffer.from([0, 1, 2, 255])],
  ['Buffer', () => Buffer.from('buffer'), Buffer.from('buffer')],
  ['async chunks', () => gen(['a', 'bc', '', 'def']), Buffer.from('abcdef')],
  ['empty async', () => gen([]), Buffer.alloc(0)],
  ['large', () => gen(Array.from({ length: 64 }, (_, i) => Buffer.alloc(16 * 1024, i))), Buffer.concat(Array.from({ length: 64 }, (_, i) => Buffer.alloc(16 * 1024, i)))],
];

for (const [name, src, bytes] of SOURCES) {
  test(`put/read round trip: ${name}`, async () => {
    const { dir, blobs } = await freshStore();
    const info = await blobs.put(src());
    assert.equal(info, { digest: digestOf(bytes), size: bytes.length });
    assert.ok(await blobs.has(info.digest));
    assert.is(await blobs.size(info.digest), bytes.length);
    assert.ok((await blobs.read(info.digest)).equals(bytes));
    assert.is(blobs.path(info.digest), path.join(dir, 'blobs', 'sha256', info.digest.slice(7)));
    const st = await fs.stat(blobs.path(info.digest));
    assert.is(st.mode & 0o777, 0o444, 'stored blobs are read-only');
    assert.equal(await tmpFiles(dir), [], 'no temp file left');
    assert.equal(await blobs.list(), [info.digest]);
  });
}

test('put is idempotent: the same content twice is one file', async () => {
  const { dir, blobs } = await freshStore();
  const a = await blobs.put('same');
  const b = await blobs.put(Buffer.from('same'));
  const c = await blobs.put(gen(['sa', 'me']), { digest: a.digest, size: 4 });
  assert.equal(a, b);
  assert.equal(a, c);
  assert.equal(await blobFiles(dir), [a.digest.slice(7)]);
  assert.equal(await tmpFiles(dir), []);
  assert.is((await blobs.read(a.digest)).toString(), 'same');
});

test('concurrent puts of the same content end as one file', async () => {
  const { dir, blobs } = await freshStore();
  const infos = await Promise.all(Array.from({ length: 8 }, () => blobs.put('racing')));
  assert.ok(infos.every((i) => i.digest === infos[0].digest));
  assert.equal(await blobFiles(dir), [infos[0].digest.slice(7)]);
  assert.equal(await tmpFiles(dir), []);
});

test('put with a matching expectation stores the blob', async () => {
  const { blobs } = await freshStore();
  const expects = [{}, { digest: digestOf('ok') }, { size: 2 }, { digest: digestOf('ok'), size: 2 }];
  for (const e of expects) assert.equal(await blobs.put('ok', e), { digest: digestOf('ok'), size: 2 });
});

// [name, content, expectation, message]
const MISMATCH: [string, string, { digest?: string; size?: number }, RegExp][] = [
  ['wrong digest', 'data', { digest: digestOf('other') }, new RegExp(`^blob digest mismatch: expected ${digestOf('other')}, got ${digestOf('data')}$`)],
  ['wrong size', 'data', { size: 5 }, new RegExp(`^blob ${digestOf('data').slice(0, 19)}\\.\\. size mismatch: expected 5 bytes, got 4$`)],
  ['size zero for data', 'data', { size: 0 }, /size mismatch: expected 0 bytes, got 4$/],
  ['right digest wrong size', 'data', { digest: digestOf('data'), size: 3 }, /size mismatch: expected 3 bytes, got 4$/],
  ['wrong digest right size', 'data', { digest: digestOf('atad'), size: 4 }, /^blob digest mismatch/],
  ['empty content', '', { digest: digestOf('x') }, /^blob digest mismatch/],
];

for (const [name, content, expect, re] of MISMATCH) {
  test(`put throws IntegrityError and stores nothing: ${name}`, async () => {
    const { dir, blobs } = await freshStore();
    try {
      await blobs.put(content, expect);
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, IntegrityError);
      assert.match((err as Error).message, re);
    }
    assert.equal(await blobFiles(dir), []);
    assert.equal(await tmpFiles(dir), [], 'temp file removed');
    assert.not.ok(await blobs.has(digestOf(content)));
    assert.equal(await blobs.list(), []);
  });
}

test('a failing source stream leaves no temp file and no blob', async () => {
  const { dir, blobs } = await freshStore();
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield Buffer.from('partial');
    throw new Error('network dropped');
  }
  try {
    await blobs.put(failing());
    assert.unreachable('should throw');
  } catch (err) {
    assert.match((err as Error).message, /network dropped/);
  }
  assert.equal(await tmpFiles(dir), []);
  assert.equal(await blobFiles(dir), []);
});

test('a temp file is used while writing, then renamed into place', async () => {
  const { dir, blobs } = await freshStore();
  const seen: string[][] = [];
  async function* watching(): AsyncGenerator<Uint8Array> {
    // past the size that is buffered and written in one call
    yield Buffer.alloc(5 * 1024 * 1024, 1);
    await new Promise((r) => setTimeout(r, 20));
    seen.push(await tmpFiles(dir), await blobFiles(dir));
    yield Buffer.from('two');
  }
  const info = await blobs.put(watching());
  assert.is(seen[0].length, 1, 'one temp file while writing');
  assert.match(seen[0][0], /^blob-[0-9a-f-]+$/);
  assert.equal(seen[1], [], 'nothing under blobs/ before the digest is known');
  assert.equal(await tmpFiles(dir), []);
  assert.equal(await blobFiles(dir), [info.digest.slice(7)]);
});

test('a small blob is written in one call: read-only, no temp file left', async () => {
  const { dir, blobs } = await freshStore();
  async function* parts(): AsyncGenerator<Uint8Array> {
    yield Buffer.from('one ');
    yield Buffer.from('two');
  }
  const info = await blobs.put(parts());
  assert.is(info.size, 7);
  assert.equal(await tmpFiles(dir), []);
  assert.is((await fs.stat(blobs.path(info.digest))).mode & 0o777, 0o444);
  assert.is((await blobs.read(info.digest)).toString(), 'one two');
  // the same bytes again: idempotent
  assert.equal(await blobs.put('one two'), info);
  const before = await blobFiles(dir);
  const err = await blobs.put('x', { size: 2 }).then(() => undefined, (e: unknown) => e);
  assert.instance(err, IntegrityError);
  assert.equal(await blobFiles(dir), before, 'a mismatch stores nothing');
  assert.equal(await tmpFiles(dir), []);
});

test('open() detects a corrupted blob', async () => {
  const corruptions: [string, (file: string) => Promise<void>][] = [
    ['same size, other bytes', (f) => fs.writeFile(f, 'HELLO')],
    ['truncated', (f) => fs.writeFile(f, 'hell')],
    ['extended', (f) => fs.appendFile(f, '!')],
    ['emptied', (f) => fs.writeFile(f, '')],
  ];
  for (const [name, corrupt] of corruptions) {
    const { blobs } = await freshStore();
    const { digest } = await blobs.put('hello');
    const file = blobs.path(digest);
    await fs.chmod(file, 0o644);
    await corrupt(file);
    try {
      await blobs.read(digest);
      assert.unreachable(`${name}: should throw`);
    } catch (err) {
      assert.instance(err, IntegrityError, name);
      assert.match((err as Error).message, new RegExp(`^blob ${digest.slice(0, 19)}\\.\\. is corrupt: content hashes to sha256:[0-9a-f]{12}\\.\\.$`), name);
    }
    // streaming reports it at the end, too
    const chunks: Uint8Array[] = [];
    try {
      for await (const c of blobs.open(digest)) chunks.push(c);
      assert.unreachable(`${name}: open should throw`);
    } catch (err) {
      assert.instance(err, IntegrityError, name);
    }
    try {
      await blobs.readJson(digest);
      assert.unreachable();
    } catch (err) {
      assert.instance(err, IntegrityError, name);
    }
  }
});

test('missing blob: NotFoundError naming the short digest', async () => {
  const { blobs } = await freshStore();
  const digest = digestOf('never stored');
  const want = `cannot open blob ${digest.slice(0, 19)}..: not found`;
  assert.is(want, `cannot open blob sha256:${digest.slice(7, 19)}..: not found`);
  for (const op of [() => blobs.read(digest), () => blobs.size(digest), () => blobs.readJson(digest), async () => { for await (const _ of blobs.open(digest)) void _; }]) {
    try {
      await op();
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, NotFoundError);
      assert.is((err as Error).message, want);
    }
  }
  assert.is(await blobs.has(digest), false);
});

test('invalid digests are refused before touching the disk', async () => {
  const { blobs } = await freshStore();
  const bad = ['', 'sha256:abc', `sha512:${'0'.repeat(64)}`, `sha256:${'0'.repeat(64)}/../x`, '../../etc/passwd', `sha256:${'A'.repeat(64)}`];
  for (const d of bad) {
    assert.throws(() => blobs.path(d), (e: unknown) => e instanceof IntegrityError && (e as Error).message === `not a sha256 digest: ${JSON.stringify(d)}`);
    try {
      await blobs.delete(d);
      assert.unreachable();
    } catch (err) {
      assert.instance(err, IntegrityError);
    }
    try {
      await blobs.has(d);
      assert.unreachable();
    } catch (err) {
      assert.instance(err, IntegrityError);
    }
  }
});

test('delete is idempotent', async () => {
  const { dir, blobs } = await freshStore();
  const { digest } = await blobs.put('to delete');
  const other = await blobs.put('to keep');
  await blobs.delete(digest);
  assert.not.ok(await blobs.has(digest));
  await blobs.delete(digest);
  await blobs.delete(digestOf('never there'));
  assert.equal(await blobFiles(dir), [other.digest.slice(7)]);
  assert.equal(await blobs.list(), [other.digest]);
  // and it can be stored again
  await blobs.put('to delete');
  assert.ok(await blobs.has(digest));
});

test('list ignores foreign files and a missing directory', async () => {
  const { dir, blobs } = await freshStore();
  assert.equal(await blobs.list(), []);
  const a = await blobs.put('a');
  const b = await blobs.put('b');
  await fs.writeFile(path.join(dir, 'blobs', 'sha256', 'README'), 'x');
  await fs.writeFile(path.join(dir, 'blobs', 'sha256', `${'0'.repeat(64)}.partial`), 'x');
  assert.equal((await blobs.list()).sort(), [a.digest, b.digest].sort());
});

test('readJson parses the stored JSON', async () => {
  const { blobs } = await freshStore();
  const { digest } = await blobs.put(JSON.stringify({ a: [1, 'é'] }));
  assert.equal(await blobs.readJson(digest), { a: [1, 'é'] });
});

test('short()', () => {
  const d = `sha256:${'0123456789abcdef'.repeat(4)}`;
  assert.is(short(d), 'sha256:0123456789ab..');
  assert.is(short('md5:abc'), 'md5:abc');
  assert.is(short(''), '');
});

test.run();
