import { test } from 'uvu';
import * as assert from 'uvu/assert';
import tarStream from 'tar-stream';
import { writeLayoutTar, type TarEntry } from './layout-tar.ts';

type Seen = { name: string; type: string; mode: number; size: number; mtime: number; uid: number; gid: number; uname: string; gname: string; body: string };

async function collect(entries: TarEntry[], mtime?: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await writeLayoutTar(entries, async (c) => void chunks.push(Buffer.from(c)), mtime);
  return Buffer.concat(chunks);
}

async function list(tar: Buffer): Promise<Seen[]> {
  const ex = tarStream.extract();
  const out: Seen[] = [];
  const done = (async () => {
    for await (const entry of ex) {
      const parts: Buffer[] = [];
      for await (const c of entry as AsyncIterable<Uint8Array>) parts.push(Buffer.from(c));
      const h = entry.header;
      out.push({ name: h.name, type: h.type, mode: h.mode, size: h.size, mtime: h.mtime.getTime() / 1000, uid: h.uid, gid: h.gid, uname: h.uname, gname: h.gname, body: Buffer.concat(parts).toString() });
    }
  })();
  ex.end(tar);
  await done;
  return out;
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

const file = (name: string, body: string, mode = 0o444): TarEntry => ({ name, type: 'file', mode, size: Buffer.byteLength(body), body: Buffer.from(body) });

test('sorted by name, deduplicated, fixed headers', async () => {
  const tar = await collect([
    file('oci-layout', 'L'),
    file('blobs/sha256/bb', 'second'),
    { name: 'blobs/', type: 'directory', mode: 0o755 },
    file('blobs/sha256/aa', 'first'),
    file('index.json', '{}', 0o644),
    file('blobs/sha256/aa', 'first'),
    { name: 'blobs/sha256/', type: 'directory', mode: 0o755 },
  ]);
  const seen = await list(tar);
  assert.equal(seen.map((s) => s.name), ['blobs/', 'blobs/sha256/', 'blobs/sha256/aa', 'blobs/sha256/bb', 'index.json', 'oci-layout']);
  for (const s of seen) {
    assert.is(s.mtime, 0);
    assert.is(s.uid, 0);
    assert.is(s.gid, 0);
    assert.is(s.uname, '');
    assert.is(s.gname, '');
  }
  assert.is(seen[0].type, 'directory');
  assert.is(seen[0].mode, 0o755);
  assert.is(seen[2].mode, 0o444);
  assert.is(seen[4].mode, 0o644);
  assert.is(seen[2].body, 'first');
  assert.is(tar.length % 512, 0);
});

test('streamed bodies and a given mtime', async () => {
  const tar = await collect([{ name: 'big', type: 'file', mode: 0o444, size: 11, body: () => chunks('hello', ' ', 'world') }], 1700000000);
  const [s] = await list(tar);
  assert.is(s.body, 'hello world');
  assert.is(s.mtime, 1700000000);
});

test('same entries give the same bytes', async () => {
  const make = () => [file('b', 'x'), { name: 'a', type: 'file', mode: 0o444, size: 3, body: () => chunks('a', 'bc') } as TarEntry];
  assert.ok((await collect(make())).equals(await collect(make())));
});

test('a failing body rejects with its own error', async () => {
  class Boom extends Error {}
  async function* bad(): AsyncGenerator<Uint8Array> {
    yield Buffer.from('abc');
    throw new Boom('body failed');
  }
  try {
    await collect([file('a', 'x'), { name: 'b', type: 'file', mode: 0o444, size: 6, body: bad }, file('c', 'y')]);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, Boom);
  }
});

test('a failing writer rejects with its error and stops the bodies', async () => {
  let pulled = 0;
  async function* endless(): AsyncGenerator<Uint8Array> {
    for (;;) {
      pulled++;
      yield Buffer.alloc(64 * 1024);
    }
  }
  let writes = 0;
  try {
    await writeLayoutTar([{ name: 'x', type: 'file', mode: 0o444, size: 1 << 30, body: endless }], async () => {
      if (++writes === 3) throw new Error('disk full');
    });
    assert.unreachable();
  } catch (err) {
    assert.is((err as Error).message, 'disk full');
  }
  assert.ok(pulled < 100, `body kept going: ${pulled} chunks`);
});

test('a body shorter than its header size is an error', async () => {
  try {
    await collect([{ name: 'x', type: 'file', mode: 0o444, size: 10, body: () => chunks('short') }]);
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /size/i);
  }
});

test.run();
