import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { decompress as unzstd } from 'fzstd';
import { crc32 } from './block-codec.mjs';
import { CompressPool } from './compress-pool.ts';
import { compressStream, crc32Combine, type Codec } from './compress.ts';

const inline = new CompressPool({ threads: 0 });
const threaded = new CompressPool({ threads: 2 });

async function compress(data: Uint8Array, codec: Codec, pool: CompressPool, blockSize?: number, level = codec === 'gzip' ? 6 : 3): Promise<Buffer> {
  async function* chunks() {
    // uneven chunks, as a file read or a pipe gives them
    for (let at = 0, n = 1; at < data.length; at += n, n = (n * 7 + 13) % 70000) yield data.subarray(at, at + n);
  }
  const out: Uint8Array[] = [];
  for await (const c of compressStream(chunks(), { codec, level, pool, blockSize })) out.push(c);
  return Buffer.concat(out);
}

/** Text-like data that compresses, with some random runs. */
function sample(size: number): Uint8Array {
  const words = ['layer', 'tar', 'blob', 'sha256', 'manifest', '\n', ' ', 'usr/lib/', '0000644'];
  const parts: Buffer[] = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const p = i % 50 === 0 ? randomBytes(300) : Buffer.from(words[(i * 7919) % words.length]);
    parts.push(p);
    n += p.length;
  }
  return Buffer.concat(parts).subarray(0, size);
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('gzip: one member that gunzips to the input, for every size around block edges', async () => {
  for (const size of [0, 1, 100, 4095, 4096, 4097, 8192, 3 * 4096 + 5, 200_000]) {
    const data = sample(size);
    const gz = await compress(data, 'gzip', inline, 4096);
    assert.ok(gunzipSync(gz).equals(Buffer.from(data)), `size ${size}`);
    assert.equal([...gz.subarray(0, 4)], [0x1f, 0x8b, 8, 0]);
    assert.is(gz.readUInt32LE(gz.length - 4), size);
  }
});

test('gzip levels 0, 1 and 9 round-trip', async () => {
  const data = sample(300_000);
  for (const level of [0, 1, 9]) assert.ok(gunzipSync(await compress(data, 'gzip', inline, 65536, level)).equals(Buffer.from(data)), `level ${level}`);
});

test('threads do not change the bytes (gzip and zstd)', async () => {
  const data = sample(3_500_000);
  for (const codec of ['gzip', 'zstd'] as const) {
    const a = await compress(data, codec, inline, 1 << 19);
    const b = await compress(data, codec, threaded, 1 << 19);
    assert.is(sha(a), sha(b), codec);
  }
});

test('zstd: concatenated frames decode to the input', async () => {
  for (const size of [0, 10, 1 << 16, 300_000]) {
    const data = sample(size);
    const z = await compress(data, 'zstd', threaded, 1 << 16);
    assert.equal([...z.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
    assert.ok(Buffer.from(unzstd(z)).equals(Buffer.from(data)), `size ${size}`);
  }
});

test('output is pinned, so Node and Deno (and every thread count) give the same digest', async () => {
  const data = new TextEncoder().encode('pipekit '.repeat(50_000) + Array.from({ length: 40000 }, (_, i) => `line ${(i * 2654435761) % 1000003}\n`).join(''));
  // measured once; the same on Node 20 and Deno 2 (a change here changes every layer digest)
  assert.is(sha(await compress(data, 'gzip', threaded, 65536)), '456897757e3cca56cb5145de65a4d1ab7ba739d9dbc2db43fc76f9509f0dd6f8');
  assert.is(sha(await compress(data, 'zstd', threaded, 65536)), '4b23b6cb081eb038f6e7470b8441ed48dd6fdea4df5951ec1de33b16e439086a');
});

test('crc32Combine equals the CRC of the concatenation', () => {
  const a = randomBytes(1000);
  const b = randomBytes(77777);
  assert.is(crc32Combine(crc32(a), crc32(b), b.length), crc32(Buffer.concat([a, b])));
  assert.is(crc32Combine(crc32(a), crc32(new Uint8Array(0)), 0), crc32(a));
});

test.after(async () => {
  await threaded.close();
});

for (const codec of ['gzip', 'zstd'] as const) {
  test(`threads warmed for ${codec}, and at nice 19, give the same bytes as inline`, async () => {
    const data = sample(300 * 1024);
    const warmed = new CompressPool({ threads: 2, nice: 19 });
    try {
      warmed.warm({ codec, level: codec === 'gzip' ? 6 : 3 });
      const [a, b] = await Promise.all([compress(data, codec, warmed, 64 * 1024), compress(data, codec, inline, 64 * 1024)]);
      assert.ok(a.equals(b));
    } finally {
      await warmed.close();
    }
  });
}

test.run();
