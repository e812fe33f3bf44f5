// A directory tree as one tar stream (type=tar): entries sorted by path with a
// parent before its children, hard links kept as links, headers normalised (no
// user/group names; owners as on disk; mtimes as on disk, already clamped when
// the tree was made with SOURCE_DATE_EPOCH). `prefix` puts the tree under a
// sub-directory (linux_amd64/ for a platform split).
import { createReadStream, lstatSync, promises as fs, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import tarStream from 'tar-stream';
import { specialFields } from '@pipekit/cas-store';

type Header = Partial<tarStream.Header> & { name: string };

/** Stream `dirs` (each under its prefix, '' for none) as one tar. */
export async function* packTrees(dirs: { dir: string; prefix: string }[]): AsyncGenerator<Uint8Array> {
  const pack = tarStream.pack();
  pack.on('error', () => {}); // surfaced through the iterator below
  let failure: unknown;
  const produce = (async () => {
    for (const { dir, prefix } of dirs) {
      if (prefix) await add(pack, { name: `${prefix}/`, type: 'directory', mode: 0o755, uid: 0, gid: 0, uname: '', gname: '', mtime: (await fs.stat(dir)).mtime });
      await packTree(pack, dir, prefix);
    }
    pack.finalize();
  })().catch((err) => {
    failure ??= err;
    pack.destroy(err as Error);
  });
  try {
    for await (const chunk of pack as AsyncIterable<Uint8Array>) yield chunk;
  } catch (err) {
    failure ??= err;
  }
  await produce;
  if (failure !== undefined) throw failure;
}

async function packTree(pack: tarStream.Pack, root: string, prefix: string): Promise<void> {
  const links = new Map<string, string>();
  // the walk's calls are synchronous: a thread-pool round trip per entry cost
  // more than the call for the small files a tree is mostly made of
  const walk = async (rel: string): Promise<void> => {
    const names = readdirSync(path.join(root, rel)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const abs = path.join(root, r);
      const st = lstatSync(abs);
      const name = prefix ? `${prefix}/${r}` : r;
      const h: Header = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, uname: '', gname: '', mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000) };
      if (st.isDirectory()) {
        await add(pack, { ...h, name: `${name}/`, type: 'directory' });
        await walk(r);
      } else if (st.isSymbolicLink()) {
        await add(pack, { ...h, type: 'symlink', linkname: readlinkSync(abs) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? links.get(key) : undefined;
        if (first) await add(pack, { ...h, type: 'link', linkname: first, size: 0 });
        else {
          if (st.nlink > 1) links.set(key, name);
          await addFile(pack, { ...h, type: 'file', size: st.size }, abs);
        }
      } else {
        const special = specialFields(st);
        if (special) await add(pack, { ...h, ...special });
      }
      // sockets have no tar form and are skipped, as docker does
    }
  };
  await walk('');
}

function add(pack: tarStream.Pack, h: Header, data?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (data) pack.entry(h, data, done);
    else pack.entry(h, done);
  });
}

/** Files up to this size are read whole; bigger ones are streamed. */
const READ_WHOLE = 1024 * 1024;

function addFile(pack: tarStream.Pack, h: Header, file: string): Promise<void> {
  if ((h.size ?? 0) <= READ_WHOLE) {
    const data = readFileSync(file);
    if (data.length !== h.size) return Promise.reject(new Error(`${file} changed size while being packed`));
    return add(pack, h, data);
  }
  return new Promise((resolve, reject) => {
    const sink = pack.entry(h, (err) => (err ? reject(err) : resolve()));
    createReadStream(file).on('error', reject).pipe(sink as unknown as NodeJS.WritableStream);
  });
}
