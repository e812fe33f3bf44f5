// POSIX tar headers (ustar; a pax extended header for names that do not fit,
// GNU base-256 for numbers that do not), written straight into a buffer: a stream library costs more per entry
// than packing a layer of small files takes.
export type TarType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

export type TarHeader = {
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** seconds since the epoch */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** extended attributes, written as pax SCHILY.xattr.<name> records with their bytes as they are */
  xattrs?: Record<string, Uint8Array>;
};

const FLAG: Record<TarType, number> = {
  file: 0x30, link: 0x31, symlink: 0x32, 'character-device': 0x33, 'block-device': 0x34, directory: 0x35, fifo: 0x36,
};

export const BLOCK = 512;
/** the two zero blocks that end an archive */
export const TAR_END = Buffer.alloc(2 * BLOCK);

/** Bytes of padding after `size` bytes of data. */
export const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;

const isAscii = (s: string) => /^[\x00-\x7f]*$/.test(s);

/**
 * A numeric field: octal with a NUL when it fits, else GNU base-256 (which tar
 * readers take). Written byte by byte, returning the bytes' sum for the
 * checksum: a header is encoded per entry, mostly before the JIT has warmed up.
 */
function numeric(buf: Buffer, off: number, width: number, n: number): number {
  let sum = 0;
  if (n < 8 ** (width - 1)) {
    for (let i = off + width - 2, v = n; i >= off; i--, v = Math.floor(v / 8)) {
      const d = 0x30 + (v % 8);
      buf[i] = d;
      sum += d;
    }
    buf[off + width - 1] = 0;
    return sum;
  }
  buf[off] = 0x80;
  sum = 0x80;
  for (let i = off + width - 1, v = n; i > off; i--, v = Math.floor(v / 256)) {
    buf[i] = v % 256;
    sum += v % 256;
  }
  return sum;
}

/** ASCII `s` (every caller's strings are) at `off`, at most `max` bytes; returns their sum. */
function ascii(buf: Buffer, off: number, max: number, s: string): number {
  let sum = 0;
  for (let i = 0, n = Math.min(s.length, max); i < n; i++) {
    const c = s.charCodeAt(i);
    buf[off + i] = c;
    sum += c;
  }
  return sum;
}

/** Split a long name into ustar's prefix (<=155) and name (<=100) at a slash; undefined if impossible. */
function splitName(name: string): [string, string] | undefined {
  if (name.length <= 100) return ['', name];
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) return [name.slice(0, i), name.slice(i + 1)];
  }
  return undefined;
}

function record(key: string, value: string | Uint8Array): Buffer {
  // "<len> key=value\n" where len counts itself; a value may be binary (an xattr)
  const body = Buffer.concat([Buffer.from(` ${key}=`), typeof value === 'string' ? Buffer.from(value) : value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (len !== body.length + String(len).length) len = body.length + String(len).length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}


// what every header holds: the magic and version, and the checksum field as
// spaces, as it is summed
const TEMPLATE = Buffer.alloc(BLOCK);
TEMPLATE.write('ustar\x0000', 257, 8, 'latin1');
TEMPLATE.fill(0x20, 148, 156);
const TEMPLATE_SUM = TEMPLATE.reduce((a, b) => a + b, 0);

function ustar(h: TarHeader, name: string, prefix: string, linkname: string, typeflag: number): Buffer {
  const b = Buffer.allocUnsafe(BLOCK);
  TEMPLATE.copy(b);
  let sum = TEMPLATE_SUM + typeflag;
  sum += ascii(b, 0, 100, name);
  sum += numeric(b, 100, 8, h.mode & 0o7777);
  sum += numeric(b, 108, 8, h.uid);
  sum += numeric(b, 116, 8, h.gid);
  sum += numeric(b, 124, 12, h.size);
  sum += numeric(b, 136, 12, Math.max(0, h.mtime));
  b[156] = typeflag;
  sum += ascii(b, 157, 100, linkname);
  sum += numeric(b, 329, 8, h.devmajor ?? 0);
  sum += numeric(b, 337, 8, h.devminor ?? 0);
  sum += ascii(b, 345, 155, prefix);
  b.write(`${sum.toString(8).padStart(6, '0')}\x00 `, 148, 8, 'latin1');
  return b;
}

/** The header block(s) for one entry: a pax header first when ustar cannot hold a field. */
export function encodeHeader(h: TarHeader): Buffer {
  const name = h.type === 'directory' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const linkname = h.linkname ?? '';
  const pax: Buffer[] = [];
  const split = isAscii(name) ? splitName(name) : undefined;
  if (!split) pax.push(record('path', name));
  if (linkname.length > 100 || !isAscii(linkname)) pax.push(record('linkpath', linkname));
  for (const [k, v] of Object.entries(h.xattrs ?? {})) pax.push(record(`SCHILY.xattr.${k}`, v));
  const [prefix, short] = split ?? ['', asciiTail(name, 100)];
  const main = ustar(h, short, prefix, isAscii(linkname) ? linkname.slice(0, 100) : '', FLAG[h.type]);
  if (!pax.length) return main;
  const body = Buffer.concat(pax);
  const paxHeader = ustar(
    { name: '', type: 'file', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: h.mtime },
    asciiTail(`PaxHeaders/${short}`, 100), '', '', 0x78,
  );
  return Buffer.concat([paxHeader, body, Buffer.alloc(padding(body.length)), main]);
}

/** A stand-in name for readers without pax support: ASCII, at most `max` bytes. */
function asciiTail(s: string, max: number): string {
  const a = s.replace(/[^\x20-\x7e]/g, '_');
  return a.length <= max ? a : a.slice(a.length - max);
}
