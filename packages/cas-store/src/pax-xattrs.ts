// The raw bytes of each entry's pax SCHILY.xattr records. tar-stream decodes
// pax values as UTF-8, which mangles binary xattrs (a capability mask holds
// bytes like 0x80); this scanner reads the same byte stream alongside it and
// keeps them exactly. It follows only the tar framing (headers, sizes,
// padding), so it stays in step with the extractor entry by entry.
import { BLOCK, padding } from './tar-header.ts';

const PAX = 0x78; // 'x': extended header for the next entry
const META = new Set([0x67, 0x4c, 0x4b]); // 'g' global pax, GNU long name 'L' and long link 'K': no entry of their own
const DIR = 0x35;
const XATTR = 'SCHILY.xattr.';

export type Xattrs = Record<string, Buffer>;

/** A header's size field: octal, or GNU base-256 when the top bit is set. */
function sizeOf(h: Buffer): number {
  if (h[124] & 0x80) {
    let n = 0;
    for (let i = 125; i < 136; i++) n = n * 256 + h[i];
    return n;
  }
  const s = h.subarray(124, 136).toString('latin1').replace(/[\0 ]+$/g, '').trim();
  return s ? parseInt(s, 8) : 0;
}

/** The SCHILY.xattr records of a pax body, values as raw bytes. */
function parseRecords(body: Buffer): Xattrs {
  const out: Xattrs = {};
  let rest = body;
  while (rest.length) {
    const sp = rest.indexOf(0x20);
    const len = sp > 0 ? Number(rest.subarray(0, sp).toString('latin1')) : NaN;
    if (!Number.isInteger(len) || len <= sp + 1 || len > rest.length) break;
    const rec = rest.subarray(sp + 1, len - 1);
    const eq = rec.indexOf(0x3d);
    const key = eq > 0 ? rec.subarray(0, eq).toString('utf8') : '';
    if (key.startsWith(XATTR)) out[key.slice(XATTR.length)] = Buffer.from(rec.subarray(eq + 1));
    rest = rest.subarray(len);
  }
  return out;
}

export class PaxXattrScanner {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** bytes of the current entry's body (and padding) still to pass over */
  private skip = 0;
  /** a pax body being collected: its size, then padding to skip */
  private paxBody: { size: number } | undefined;
  private current: Xattrs | undefined;
  private readonly queue: (Xattrs | undefined)[] = [];

  push(chunk: Uint8Array): void {
    this.pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.pendingBytes += chunk.byteLength;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.pendingBytes);
        if (n === 0) return;
        this.take(n);
        this.skip -= n;
        continue;
      }
      if (this.paxBody) {
        if (this.pendingBytes < this.paxBody.size) return;
        const body = this.take(this.paxBody.size);
        this.current = { ...this.current, ...parseRecords(body) };
        this.skip = padding(this.paxBody.size);
        this.paxBody = undefined;
        continue;
      }
      if (this.pendingBytes < BLOCK) return;
      const h = this.take(BLOCK);
      if (h.every((b) => b === 0)) continue; // end-of-archive blocks
      const type = h[156];
      const size = sizeOf(h);
      if (type === PAX) this.paxBody = { size };
      else if (META.has(type)) this.skip = size + padding(size);
      else {
        this.queue.push(this.current);
        this.current = undefined;
        this.skip = type === DIR ? 0 : size + padding(size);
      }
    }
  }

  /** The xattrs of the next entry the extractor reports, in archive order. */
  next(): Xattrs | undefined {
    return this.queue.shift();
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    return out;
  }
}
