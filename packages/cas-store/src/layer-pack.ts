// Turn a snapshot (overlayfs upper-format dir) into a layer tar stream in OCI
// form: 0/0 char devices become `.wh.<name>`, opaque dirs get `.wh..wh..opq`.
// Entries are sorted and headers carry no user/group names, so the same tree
// always gives the same tar (and so the same diff id).
import { promises as fs, createReadStream, type Stats } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { isOpaqueDir } from './xattr.ts';
import { fsLimit } from '@pipekit/wire';

type Entry = { rel: string; abs: string; st: Stats };

/** Every entry under root, in tar order (sorted, parents first); lstat calls run in parallel. */
async function listTree(root: string, rel = ''): Promise<Entry[]> {
  const names = (await fsLimit(() => fs.readdir(path.join(root, rel)))).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const level = await Promise.all(names.map(async (name) => {
    const r = rel ? `${rel}/${name}` : name;
    const abs = path.join(root, r);
    const st = await fsLimit(() => fs.lstat(abs));
    const below = st.isDirectory() ? await listTree(root, r) : [];
    return [{ rel: r, abs, st }, ...below];
  }));
  return level.flat();
}

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

// tar-stream replaces a mode of 0 by 0644/0755; headers keep only the low 12
// bits, so a bit above them makes "0" survive (a chmod 000 file stays 000)
const ZERO_MODE = 0o10000;
const modeOf = (m: number) => (m & 0o7777) || ZERO_MODE;

function baseHeader(rel: string, st: Stats, mtime?: Date): Partial<tarStream.Header> & { name: string } {
  return {
    name: rel,
    mode: modeOf(st.mode),
    uid: st.uid,
    gid: st.gid,
    uname: '',
    gname: '',
    mtime: mtime ?? new Date(Math.floor(st.mtimeMs / 1000) * 1000),
  };
}

export type PackOptions = { /** clamp mtimes (SOURCE_DATE_EPOCH) */ mtime?: Date };

/** Stream the layer tar of `dir`. */
export function packLayer(dir: string, opts: PackOptions = {}): Readable {
  const pack = tarStream.pack();
  const put = (h: Partial<tarStream.Header> & { name: string }, body?: Uint8Array) =>
    new Promise<void>((resolve, reject) => pack.entry(h, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
  const run = async () => {
    const inodes = new Map<string, string>();
    const entries = await listTree(dir);
    // small files are read ahead (bounded) while earlier entries are written
    const SMALL = 1024 * 1024;
    const reads = new Map<number, Promise<Buffer>>();
    const ahead = (from: number) => {
      for (let j = from; j < Math.min(entries.length, from + 64); j++) {
        const e = entries[j];
        if (!reads.has(j) && e.st.isFile() && e.st.size < SMALL && e.st.nlink === 1) reads.set(j, fsLimit(() => fs.readFile(e.abs)));
      }
    };
    for (const [i, { rel, abs, st }] of entries.entries()) {
      ahead(i);
      const h = baseHeader(rel, st, opts.mtime);
      if (isWhiteout(st)) {
        const wh = path.posix.join(path.posix.dirname(rel), `.wh.${path.posix.basename(rel)}`).replace(/^\.\//, '');
        await put({ ...h, name: wh, type: 'file', mode: ZERO_MODE, size: 0 });
      } else if (st.isDirectory()) {
        await put({ ...h, name: `${rel}/`, type: 'directory' });
        if (await isOpaqueDir(abs)) await put({ ...h, name: `${rel}/.wh..wh..opq`, type: 'file', mode: ZERO_MODE, size: 0 });
      } else if (st.isSymbolicLink()) {
        await put({ ...h, type: 'symlink', linkname: await fs.readlink(abs) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? inodes.get(key) : undefined;
        if (first) {
          await put({ ...h, type: 'link', linkname: first, size: 0 });
          continue;
        }
        if (st.nlink > 1) inodes.set(key, rel);
        // small files in one read: a stream per file costs more than the data
        if (st.size < SMALL) {
          const data = await (reads.get(i) ?? fs.readFile(abs));
          reads.delete(i);
          await put({ ...h, type: 'file', size: st.size }, data);
          continue;
        }
        await new Promise<void>((resolve, reject) => {
          const w = pack.entry({ ...h, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
          createReadStream(abs).on('error', reject).pipe(w);
        });
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const type = st.isCharacterDevice() ? 'character-device' : 'block-device';
        await put({ ...h, type, devmajor: Math.floor(st.rdev / 256) & 0xfff, devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) });
      } else if (st.isFIFO()) {
        await put({ ...h, type: 'fifo' });
      }
      // sockets are not representable in a layer and are skipped, as docker does
    }
    pack.finalize();
  };
  run().catch((err) => pack.destroy(err));
  return pack as unknown as Readable;
}
