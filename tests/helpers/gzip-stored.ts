// gzip with deflate "stored" (uncompressed) blocks, in plain JS. node:zlib's
// output differs between Node and Deno; this gives byte-identical layers, and
// so identical fixture digests, on both runtimes. Size is not a concern for tests.

const MAX_BLOCK = 0xffff;

/** A valid gzip member (RFC 1952) holding `data` in stored deflate blocks, mtime 0. */
export function gzipStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / MAX_BLOCK));
  const out = new Uint8Array(10 + data.length + blocks * 5 + 8);
  // ID1 ID2, CM=deflate, FLG=0, MTIME=0, XFL=0, OS=255 (unknown)
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff], 0);
  let at = 10;
  for (let i = 0; i < blocks; i++) {
    const chunk = data.subarray(i * MAX_BLOCK, (i + 1) * MAX_BLOCK);
    const len = chunk.length;
    out[at++] = i === blocks - 1 ? 1 : 0; // BFINAL on the last block, BTYPE=00 (stored)
    out[at++] = len & 0xff;
    out[at++] = len >>> 8;
    out[at++] = ~len & 0xff;
    out[at++] = (~len >>> 8) & 0xff;
    out.set(chunk, at);
    at += len;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(at, crc32(data), true);
  view.setUint32(at + 4, data.length >>> 0, true);
  return out;
}

let table: Uint32Array | undefined;

function crc32(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
