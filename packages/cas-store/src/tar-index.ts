// Where each regular file's bytes sit inside a tar held in memory: a layer
// rebuilt from its previous version takes the contents of unchanged files from
// the previous blob (one sequential read) instead of opening each file again.
// Reads what tar-header.ts writes and what other tools write: ustar prefixes,
// pax path/size records, GNU long names and base-256 sizes.
import { BLOCK, padding } from './tar-header.ts';

export type TarFileSpan = { offset: number; size: number };

function cstr(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end === -1 || end > off + len ? off + len : end);
}

function numeric(b: Buffer, off: number, len: number): number {
  if (b[off] & 0x80) {
    let n = 0;
    for (let i = off + 1; i < off + len; i++) n = n * 256 + b[i];
    return n;
  }
  // octal digits, maybe after spaces, ended by a NUL or space: parsed by hand (a header has several, a layer thousands of headers)
  let i = off;
  const end = off + len;
  while (i < end && b[i] === 0x20) i++;
  let n = 0;
  for (; i < end; i++) {
    const d = b[i] - 0x30;
    if (d < 0 || d > 7) break;
    n = n * 8 + d;
  }
  return n;
}

const ZERO_BLOCK = Buffer.alloc(BLOCK);
const USTAR = Buffer.from('ustar', 'latin1');

function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp === -1) break;
    const len = Number(data.toString('latin1', pos, sp));
    if (!Number.isSafeInteger(len) || len <= 0) break;
    const rec = data.toString('utf8', sp + 1, pos + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** One entry of a tar: its bytes run from `start` (its extension headers included) to `end` (after padding). */
export type TarEntrySpan = { start: number; end: number; type: number; offset: number; size: number };

/** Every entry of `tar` by name (no leading `./`, no trailing `/`), in archive order; a later entry of the same name wins. */
export function tarEntries(tar: Buffer): Map<string, TarEntrySpan> {
  const out = new Map<string, TarEntrySpan>();
  let pos = 0;
  let start = 0;
  let nextName: string | undefined;
  let nextSize: number | undefined;
  while (pos + BLOCK <= tar.length) {
    if (tar.compare(ZERO_BLOCK, 0, BLOCK, pos, pos + BLOCK) === 0) break;
    const h = tar.subarray(pos, pos + BLOCK);
    let size = numeric(h, 124, 12);
    const type = h[156];
    const data = pos + BLOCK;
    if (type === 0x78 || type === 0x4c) {
      // pax extended header (x) or GNU long name (L): they describe the next entry
      const body = tar.subarray(data, data + size);
      if (type === 0x4c) nextName = cstr(body, 0, body.length);
      else {
        const recs = paxRecords(body);
        if (recs.has('path')) nextName = recs.get('path');
        if (recs.has('size')) nextSize = Number(recs.get('size'));
      }
    } else if (type !== 0x67) {
      const ustar = h.compare(USTAR, 0, 5, 257, 262) === 0;
      // most entries have no prefix: one string decode fewer per entry of a big layer
      const prefix = ustar && h[345] !== 0 ? cstr(h, 345, 155) : '';
      let name = nextName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
      if (nextSize !== undefined) size = nextSize;
      nextName = undefined;
      nextSize = undefined;
      while (name.startsWith('./')) name = name.slice(2);
      while (name.length > 1 && name.endsWith('/')) name = name.slice(0, -1);
      out.set(name, { start, end: data + size + padding(size), type, offset: data, size });
    }
    pos = data + size + padding(size);
    if (type !== 0x78 && type !== 0x4c) start = pos;
  }
  return out;
}

/** Regular files of `tar` by entry name (no leading `./`), each with its data's offset and size. */
export function tarFileSpans(tar: Buffer): Map<string, TarFileSpan> {
  const out = new Map<string, TarFileSpan>();
  for (const [name, e] of tarEntries(tar)) if (e.type === 0x30 || e.type === 0) out.set(name, { offset: e.offset, size: e.size });
  return out;
}
