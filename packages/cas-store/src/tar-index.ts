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
  const s = b.toString('latin1', off, off + len).replace(/[\0 ]+$/, '').trim();
  return s ? parseInt(s, 8) : 0;
}

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

/** Regular files of `tar` by entry name (no leading `./`), each with its data's offset and size. */
export function tarFileSpans(tar: Buffer): Map<string, TarFileSpan> {
  const out = new Map<string, TarFileSpan>();
  let pos = 0;
  let nextName: string | undefined;
  let nextSize: number | undefined;
  while (pos + BLOCK <= tar.length) {
    const h = tar.subarray(pos, pos + BLOCK);
    if (h.every((x) => x === 0)) break;
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
      const ustar = h.toString('latin1', 257, 262) === 'ustar';
      const prefix = ustar ? cstr(h, 345, 155) : '';
      let name = nextName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
      if (nextSize !== undefined) size = nextSize;
      nextName = undefined;
      nextSize = undefined;
      while (name.startsWith('./')) name = name.slice(2);
      if (type === 0x30 || type === 0) out.set(name, { offset: data, size });
    }
    pos = data + size + padding(size);
  }
  return out;
}
