// Block codecs shared by the main thread and the compression workers (plain
// JavaScript so Node and Deno load it in a worker without a TypeScript loader).
// Output depends only on the bytes, the level and the block boundaries — never on
// the runtime, the number of threads or the order blocks finish in:
//   gzip: one gzip member, pigz-style: each block is raw DEFLATE primed with the
//         previous block's last 32 KiB as dictionary and ended with a sync flush,
//         so the blocks concatenate into one stream (fflate: pure JS, identical
//         bytes on Node and Deno, unlike node:zlib).
//   zstd: one independent zstd frame per block (frames concatenate by the spec),
//         from the reference C library compiled to WebAssembly.
import { Deflate } from 'fflate';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const WINDOW = 32 * 1024;

/**
 * Raw DEFLATE of one block, primed with `dict` (the bytes just before it). A
 * `last` block ends the stream; any other ends with a sync flush (an empty stored
 * block) so the next block's output can follow it directly.
 *
 * fflate's public streaming API cannot do this reliably (0.8's flush(true) and
 * its dictionary handling in push() both emit bad streams for some inputs), so
 * its one-shot compressor is driven through Deflate's state object instead —
 * the same thing deflateSync does, with the final-block flag under our control.
 * This relies on fflate's internals, so the version is pinned and
 * block-codec.test.ts round-trips every shape of block through zlib.
 */
export function deflateBlock(data, dict, last, level) {
  const d = dict && dict.length ? dict.subarray(-WINDOW) : undefined;
  const input = d ? concat([d, data]) : data;
  const parts = [];
  const deflate = new Deflate({ level }, (chunk) => parts.push(chunk));
  // l: final-block flag; w: where output starts (after the dictionary)
  deflate.s = { l: last ? 1 : 0, w: d ? d.length : 0 };
  deflate.p(input, !!last);
  if (!last) {
    const r = deflate.s.r || 0; // pending bit count (low 3 bits) and their byte (the rest)
    const bits = r & 7;
    const pending = bits ? [r >> 3] : [];
    const header = bits === 0 || bits > 5 ? [0] : []; // the 3 header bits need a byte of their own
    parts.push(Uint8Array.from([...pending, ...header, 0, 0, 0xff, 0xff]));
  }
  return concat(parts);
}

function concat(parts) {
  if (parts.length === 1) return parts[0];
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256 * 4);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 4; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** CRC-32 (gzip's), slicing by 4. */
export function crc32(data, crc = 0) {
  const t = CRC_TABLE;
  let c = ~crc;
  let i = 0;
  const n4 = data.length - (data.length % 4);
  for (; i < n4; i += 4) {
    c ^= data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    c = t[768 + (c & 0xff)] ^ t[512 + ((c >>> 8) & 0xff)] ^ t[256 + ((c >>> 16) & 0xff)] ^ t[c >>> 24];
  }
  for (; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

let zstd;
/** The zstd WebAssembly module of @bokuweb/zstd-wasm (version pinned), loaded without its emscripten glue. */
function zstdExports() {
  if (zstd) return zstd;
  const require = createRequire(import.meta.url);
  const file = path.join(path.dirname(require.resolve('@bokuweb/zstd-wasm')), 'zstd.wasm');
  let memory;
  const abort = (why) => {
    throw new Error(`zstd: ${why}`);
  };
  const imports = {
    a: {
      a: (code) => abort(`exit ${code}`),
      b: () => {},
      c: () => abort('aborted'),
      d: () => 0,
      e: (want) => {
        const have = memory.buffer.byteLength;
        want >>>= 0;
        if (want > 2 ** 31) return 0;
        try {
          memory.grow(Math.ceil((Math.max(want, Math.min(have * 1.5, want + 96 * 2 ** 20)) - have) / 65536));
          return 1;
        } catch {
          return 0;
        }
      },
    },
  };
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), imports);
  const x = instance.exports;
  memory = x.f;
  x.g();
  zstd = { memory, isError: x.h, bound: x.i, compress: x.m, malloc: x.s, free: x.t };
  return zstd;
}

/** One zstd frame holding `data`. */
export function zstdBlock(data, level) {
  const z = zstdExports();
  const cap = z.bound(data.length);
  const dst = z.malloc(cap);
  const src = z.malloc(Math.max(1, data.length));
  try {
    if (!dst || !src) throw new Error('zstd: out of memory');
    new Uint8Array(z.memory.buffer).set(data, src);
    const n = z.compress(dst, cap, src, data.length, level);
    if (z.isError(n)) throw new Error(`zstd: compression failed (code ${n})`);
    return new Uint8Array(z.memory.buffer, dst, n).slice();
  } finally {
    if (dst) z.free(dst);
    if (src) z.free(src);
  }
}

/** One block job, as the workers run it: {codec, data, dict?, last, level} -> {out, crc}. */
export function runBlock(job) {
  if (job.codec === 'zstd') return { out: zstdBlock(job.data, job.level), crc: 0 };
  return { out: deflateBlock(job.data, job.dict, job.last, job.level), crc: crc32(job.data) };
}
