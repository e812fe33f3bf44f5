// Layer compression in fixed-size blocks so that large layers use every core
// and the bytes never depend on the runtime or the number of threads:
//   gzip — one gzip member (header, pigz-style DEFLATE blocks, CRC-32 + size);
//          the CRCs of the blocks are computed in the workers and combined here.
//   zstd — concatenated zstd frames, one per block.
// Blocks are read ahead up to the pool's width and written out in order.
import { WINDOW, type BlockJob, type BlockResult } from './block-codec.mjs';
import type { CompressPool } from './compress-pool.ts';

export type Codec = 'gzip' | 'zstd';
export type CompressOptions = { codec: Codec; level: number; pool: CompressPool; /** bytes per block (default by codec) */ blockSize?: number };

/** Block sizes are part of the output format: changing them changes digests. */
export const BLOCK_SIZE: Record<Codec, number> = { gzip: 1 << 20, zstd: 4 << 20 };

export const LEVELS: Record<Codec, { min: number; max: number; default: number }> = {
  gzip: { min: 0, max: 9, default: 6 },
  zstd: { min: 1, max: 22, default: 3 },
};

/** Compress a byte stream; yields the compressed stream. */
export async function* compressStream(src: AsyncIterable<Uint8Array>, opts: CompressOptions): AsyncGenerator<Uint8Array> {
  const size = opts.blockSize ?? BLOCK_SIZE[opts.codec];
  const gzip = opts.codec === 'gzip';
  if (gzip) yield gzipHeader(opts.level);
  const inflight: { done: Promise<BlockResult>; length: number }[] = [];
  let crc = 0;
  let total = 0;
  let dict: Uint8Array | undefined;
  const submit = (data: Uint8Array, last: boolean) => {
    const job: BlockJob = { codec: opts.codec, data, last, level: opts.level, ...(gzip && dict ? { dict } : {}) };
    const done = opts.pool.run(job);
    done.catch(() => {}); // observed when awaited below; avoid an unhandled rejection meanwhile
    inflight.push({ done, length: data.length });
    dict = gzip ? data.subarray(Math.max(0, data.length - WINDOW)) : undefined;
  };
  const drain = async function* (keep: number) {
    while (inflight.length > keep) {
      const next = inflight.shift()!;
      const r = await next.done;
      if (gzip) crc = crc32Combine(crc, r.crc, next.length);
      total += next.length;
      yield r.out;
    }
  };

  let block = new Uint8Array(size);
  let fill = 0;
  let held: Uint8Array | undefined; // a full block waits until we know whether it is the last
  for await (const chunk of src) {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(size - fill, chunk.length - at);
      block.set(chunk.subarray(at, at + n), fill);
      fill += n;
      at += n;
      if (fill === size) {
        if (held) submit(held, false);
        held = block;
        block = new Uint8Array(size);
        fill = 0;
        yield* drain(opts.pool.width);
      }
    }
  }
  if (fill > 0) {
    if (held) submit(held, false);
    submit(block.subarray(0, fill), true);
  } else if (held) {
    submit(held, true);
  } else {
    submit(new Uint8Array(0), true); // empty input still needs a final (empty) block / frame
  }
  yield* drain(0);
  if (gzip) yield gzipTrailer(crc, total);
}

function gzipHeader(level: number): Uint8Array {
  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL OS=255 (unknown, as Go writes it)
  const xfl = level >= 9 ? 2 : level <= 1 ? 4 : 0;
  return Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 0xff]);
}

function gzipTrailer(crc: number, total: number): Uint8Array {
  const t = new Uint8Array(8);
  const v = new DataView(t.buffer);
  v.setUint32(0, crc >>> 0, true);
  v.setUint32(4, total % 2 ** 32, true);
  return t;
}

// crc32_combine from zlib: the CRC of A‖B from crc(A), crc(B) and len(B), by
// applying len(B) zero bytes to crc(A) with GF(2) matrix squaring.
function gf2Times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i];
  return sum >>> 0;
}

function gf2Square(square: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(mat, mat[n]);
}

export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  if (len2 <= 0) return crc1 >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = 0xedb88320;
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row >>> 0;
  gf2Square(even, odd); // 2 zero bits
  gf2Square(odd, even); // 4 zero bits
  let c = crc1 >>> 0;
  let len = len2;
  do {
    gf2Square(even, odd);
    if (len % 2) c = gf2Times(even, c);
    len = Math.floor(len / 2);
    if (!len) break;
    gf2Square(odd, even);
    if (len % 2) c = gf2Times(odd, c);
    len = Math.floor(len / 2);
  } while (len);
  return (c ^ crc2) >>> 0;
}
