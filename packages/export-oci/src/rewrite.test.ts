import { test } from 'uvu';
import * as assert from 'uvu/assert';
import tarStream from 'tar-stream';
import { IntegrityError } from '@pipekit/wire';
import { rewriteTimestamps } from './rewrite.ts';
import { layerTar } from './testing.ts';

async function collect(src: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of src) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}
async function* once(b: Uint8Array) {
  yield b;
}
async function headers(tar: Buffer) {
  const ex = tarStream.extract();
  const out: { name: string; mtime: number; mode: number; type: string; linkname: string | null; body: string }[] = [];
  const done = (async () => {
    for await (const e of ex) {
      const parts: Buffer[] = [];
      for await (const c of e as AsyncIterable<Uint8Array>) parts.push(Buffer.from(c));
      out.push({ name: e.header.name, mtime: e.header.mtime!.getTime() / 1000, mode: e.header.mode!, type: e.header.type!, linkname: e.header.linkname ?? null, body: Buffer.concat(parts).toString() });
    }
  })();
  ex.end(tar);
  await done;
  return out;
}

test('mtimes after the epoch are clamped, the rest of every entry is kept', async () => {
  const src = await layerTar(undefined, 2_000_000_000);
  const out = await headers(await collect(rewriteTimestamps(once(src), 1_700_000_000)));
  const before = await headers(src);
  assert.equal(out.map((h) => h.mtime), before.map(() => 1_700_000_000));
  assert.equal(out.map(({ mtime: _m, ...rest }) => rest), before.map(({ mtime: _m, ...rest }) => rest));
});

test('a tar already at or before the epoch comes out byte-identical', async () => {
  const src = await layerTar(undefined, 1000);
  assert.ok((await collect(rewriteTimestamps(once(src), 1_700_000_000))).equals(src));
});

test('a broken tar is an IntegrityError', async () => {
  const bad = Buffer.alloc(1024, 7);
  try {
    await collect(rewriteTimestamps(once(bad), 0, 'layer x'));
    assert.unreachable();
  } catch (err) {
    assert.instance(err, IntegrityError);
    assert.match((err as Error).message, /layer x/);
  }
});

test.run();
