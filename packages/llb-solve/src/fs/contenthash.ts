// Content checksums for cache keys: what a COPY or bind mount actually reads.
// Covers names, type, permission bits, owner, size, symlink targets and file
// bytes, never mtimes, so touching a file leaves its checksum unchanged.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { fsLimit, NotFoundError } from '@pipekit/wire';
import { ignoredIn } from './copy-filter.ts';
import { expandGlob, hasMeta } from './glob.ts';
import { resolveInContext, resolveInRoot } from './resolve.ts';


export type HashOptions = {
  followSymlink?: boolean;
  allowWildcard?: boolean;
  /** uid/gid do not matter (local context) */
  ignoreOwner?: boolean;
  /** the root is a build context: symlinks out of it are errors */
  context?: boolean;
  /** filled with each entry's own record hash, keyed by path (to explain cache misses) */
  collect?: Map<string, string>;
  /** entries left out (a local source's .dockerignore), by root-relative path */
  skip?: (rel: string) => boolean;
};

// one read call for small files: a stream per file costs more than hashing it
const SMALL = 1024 * 1024;

async function fileDigest(abs: string, size: number): Promise<string> {
  if (size < SMALL) return createHash('sha256').update(await fs.readFile(abs)).digest('hex');
  const h = createHash('sha256');
  for await (const c of createReadStream(abs)) h.update(c as Buffer);
  return h.digest('hex');
}

/** The records of a tree, in order; filesystem calls run in parallel (bounded). */
async function treeRecords(abs: string, rel: string, opts: HashOptions): Promise<string[]> {
  const st = await fsLimit(() => fs.lstat(abs)).catch(() => undefined);
  if (!st) throw new NotFoundError(`${JSON.stringify(rel)}: not found`);
  const owner = opts.ignoreOwner ? '0:0' : `${st.uid}:${st.gid}`;
  const mode = (st.mode & 0o7777).toString(8);
  let record: string;
  if (st.isSymbolicLink()) record = `L ${rel} ${mode} ${owner} ${await fsLimit(() => fs.readlink(abs))}\0`;
  else if (st.isFile()) record = `F ${rel} ${mode} ${owner} ${st.size} ${await fsLimit(() => fileDigest(abs, st.size))}\0`;
  else if (st.isDirectory()) record = `D ${rel} ${mode} ${owner}\0`;
  else record = `O ${rel} ${mode} ${owner} ${st.rdev}\0`;
  opts.collect?.set(rel, createHash('sha256').update(record).digest('hex').slice(0, 16));
  if (!st.isDirectory()) return [record];
  const names = (await fsLimit(() => fs.readdir(abs))).sort().filter((n) => !opts.skip?.(`${rel}/${n}`));
  const children = await Promise.all(names.map((n) => treeRecords(path.join(abs, n), `${rel}/${n}`, opts)));
  return [record, ...children.flat()];
}

/** sha256 over the selected path (a wildcard pattern expands to all matches) inside root. */
export async function contentHash(root: string, src: string, opts: HashOptions = {}): Promise<string> {
  const h = createHash('sha256');
  // only what a .dockerignore lets through enters the key (a dir may still hold re-included files)
  const ignore = ignoredIn(root);
  if (ignore) opts = { ...opts, skip: (rel) => ignore.matches(rel) && !ignore.hasExclusions };
  const isIgnored = (p: string) => ignore !== undefined && p.replace(/^\/+/, '') !== '' && ignore.matches(p);
  let paths = opts.allowWildcard && hasMeta(src) ? await expandGlob(root, src) : [src];
  if (ignore) {
    if (paths.length === 1 && paths[0] === src && !hasMeta(src) && isIgnored(src)) {
      throw new NotFoundError(`${JSON.stringify(src)}: not found: excluded by .dockerignore`);
    }
    paths = paths.filter((p) => !isIgnored(p));
  }
  for (const p of paths) {
    const abs = opts.context ? await resolveInContext(root, p, opts.followSymlink ?? true) : await resolveInRoot(root, p, opts.followSymlink ?? true);
    for (const r of await treeRecords(abs, p, opts)) h.update(r);
  }
  return `sha256:${h.digest('hex')}`;
}
