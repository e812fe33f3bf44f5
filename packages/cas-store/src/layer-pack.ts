// Turn a snapshot (overlayfs upper-format dir) into a layer tar stream in OCI
// form: 0/0 char devices become `.wh.<name>`, opaque dirs get `.wh..wh..opq`;
// both with mode 0 and time 0, as containerd 2's tar writer (BuildKit's) makes
// whiteouts, whatever SOURCE_DATE_EPOCH says.
// Entries are sorted and headers carry no user/group names, so the same tree
// always gives the same tar (and so the same diff id).
//
// The walk and reads are synchronous and batched into ~1 MiB chunks: a layer of
// many small files costs a thread-pool round trip and a promise per call
// otherwise, several times the work itself. The event loop gets a turn per chunk
// (and per ENTRIES_PER_TURN entries): a layer is often packed while the next
// steps start (llb-solve), and their I/O should not wait for a whole walk.
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from 'node:fs';
import path from 'node:path';
import { PipekitError, readWhole } from '@pipekit/wire';
import { CAPABILITY_XATTR, fileCapability, isOpaqueDirSync } from './xattr.ts';
import { encodeHeader, padding, TAR_END, type TarHeader } from './tar-header.ts';
import { specialFields } from './special-files.ts';

type Entry = { rel: string; abs: string; st: Stats };

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every entry under root, in tar order (sorted, parents first). */
function* walk(root: string, known: KnownFiles | undefined, rel = ''): Generator<Entry> {
  for (const name of readdirSync(rel ? path.join(root, rel) : root).sort(byCodeUnit)) {
    const r = rel ? `${rel}/${name}` : name;
    const abs = path.join(root, r);
    const st = known?.get(r)?.st ?? lstatSync(abs);
    yield { rel: r, abs, st };
    if (st.isDirectory()) yield* walk(root, known, r);
  }
}

/** An overlay whiteout as snapshots hold it: a 0/0 character device. */
export const isWhiteout = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0;

export type PackOptions = {
  /** clamp mtimes (SOURCE_DATE_EPOCH) */
  mtime?: Date;
  /** set when the stream ends: the tree's bytes as dirBytes counts them (so GC need not walk it again), and its entries */
  measured?: { bytes: number; entries?: number };
  /** bytes the caller just wrote, by tree-relative path: used instead of reading the file again when its inode and size match */
  known?: KnownFiles;
};

/**
 * `st`, when given, is the entry's lstat as its writer left it, used instead
 * of asking again: only for a tree the writer made alone, in a plain directory
 * (an overlay mount reports other device numbers than its upper dir).
 */
export type KnownFiles = Map<string, { ino: number; data: Buffer; st?: Stats }>;

const CHUNK = 1024 * 1024;
// ~1 ms of lstat, readlink and headers here (several times that while the code is cold)
const ENTRIES_PER_TURN = 64;
/** Resolves after the event loop has had a turn (pending I/O callbacks run first; as llb-solve's nextTurn). */
const eventLoopTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function baseHeader(rel: string, st: Stats, fixedMtime: number | undefined): TarHeader {
  return { name: rel, type: 'file', mode: st.mode, uid: st.uid, gid: st.gid, size: 0, mtime: fixedMtime ?? Math.floor(st.mtimeMs / 1000) };
}

/**
 * The header block(s) of one entry (a regular file's data follows them), or
 * undefined for what a layer cannot hold (sockets are skipped, as docker does).
 */
function entryHeader(rel: string, abs: string, st: Stats, fixedMtime: number | undefined): Buffer | undefined {
  const h = baseHeader(rel, st, fixedMtime);
  if (isWhiteout(st)) {
    const base = path.posix.basename(rel);
    const dirname = path.posix.dirname(rel);
    return encodeHeader({ ...h, name: dirname === '.' ? `.wh.${base}` : `${dirname}/.wh.${base}`, mode: 0, mtime: 0 });
  }
  if (st.isDirectory()) {
    const dir = encodeHeader({ ...h, type: 'directory' });
    return isOpaqueDirSync(abs) ? Buffer.concat([dir, encodeHeader({ ...h, name: `${rel}/.wh..wh..opq`, mode: 0, mtime: 0 })]) : dir;
  }
  if (st.isSymbolicLink()) return encodeHeader({ ...h, type: 'symlink', linkname: readlinkSync(abs) });
  if (st.isFile()) {
    // capabilities only mean something on a program: other files are not asked (one syscall each)
    const cap = st.mode & 0o111 ? fileCapability(abs) : undefined;
    return encodeHeader({ ...h, size: st.size, ...(cap ? { xattrs: { [CAPABILITY_XATTR]: cap } } : {}) });
  }
  const special = specialFields(st);
  return special && encodeHeader({ ...h, ...special });
}

/**
 * One entry's bytes exactly as packing its tree writes them (a file read whole),
 * for an entry whose inode no other entry of the layer shares.
 */
export function packEntry(rel: string, abs: string, st: Stats = lstatSync(abs)): Buffer {
  const header = entryHeader(rel, abs, st, undefined);
  if (!header) return Buffer.alloc(0);
  if (!st.isFile()) return header;
  const data = readWhole(abs, st.size);
  if (data.length !== st.size) throw new PipekitError(`cannot pack ${rel}: it changed size while being packed`);
  return Buffer.concat([header, data, Buffer.alloc(padding(st.size))]);
}

/** The tar bytes of `dir`, in chunks of about CHUNK bytes. */
async function* tarChunks(dir: string, opts: PackOptions): AsyncGenerator<Buffer> {
  const fixedMtime = opts.mtime ? Math.floor(opts.mtime.getTime() / 1000) : undefined;
  const inodes = new Map<string, string>();
  let bytes = 0;
  let parts: Buffer[] = [];
  let pending = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    pending += b.length;
  };
  const flush = () => {
    const out = Buffer.concat(parts, pending);
    parts = [];
    pending = 0;
    return out;
  };
  let entries = 0;
  let turnAt = 0;
  for (const { rel, abs, st } of walk(dir, opts.known)) {
    entries++;
    if (!st.isDirectory() && !(st.nlink > 1 && inodes.has(`${st.dev}:${st.ino}`))) bytes += st.size;
    if (st.isFile()) {
      const first = st.nlink > 1 ? inodes.get(`${st.dev}:${st.ino}`) : undefined;
      if (first !== undefined) {
        push(encodeHeader({ ...baseHeader(rel, st, fixedMtime), type: 'link', linkname: first }));
        continue;
      }
      if (st.nlink > 1) inodes.set(`${st.dev}:${st.ino}`, rel);
    }
    const header = entryHeader(rel, abs, st, fixedMtime);
    if (header) push(header);
    if (st.isFile()) {
      if (st.size < CHUNK) {
        const k = opts.known?.get(rel);
        const data = k && k.ino === st.ino && k.data.length === st.size ? k.data : readWhole(abs, st.size);
        if (data.length !== st.size) throw new PipekitError(`cannot pack ${rel}: it changed size while being packed`);
        push(data);
      } else {
        if (pending) yield flush();
        for (const c of fileChunks(abs, rel, st.size)) {
          yield c;
          await eventLoopTurn();
        }
        turnAt = entries;
      }
      push(Buffer.alloc(padding(st.size)));
    }
    // sockets are not representable in a layer and are skipped, as docker does
    if (pending >= CHUNK || entries - turnAt >= ENTRIES_PER_TURN) {
      yield flush();
      await eventLoopTurn();
      turnAt = entries;
    }
  }
  push(TAR_END);
  yield flush();
  if (opts.measured) Object.assign(opts.measured, { bytes, entries });
}

/** A large file's bytes, exactly `size` of them. */
function* fileChunks(abs: string, rel: string, size: number): Generator<Buffer> {
  const fd = openSync(abs, 'r');
  try {
    let left = size;
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) throw new PipekitError(`cannot pack ${rel}: it changed size while being packed`);
      left -= n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** The layer tar of `dir`, in chunks (a plain async iterable: a stream around it costs a commit more than packing a small layer). */
export function packLayer(dir: string, opts: PackOptions = {}): AsyncIterable<Buffer> {
  return tarChunks(dir, opts);
}
