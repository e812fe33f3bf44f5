// The copy action of a file op (COPY/ADD): sources may be wildcards, a source
// directory contributes its contents, a destination ending in `/` is a directory,
// and everything written stays inside the destination root.
import {
  chmodSync, closeSync, copyFileSync, fchmodSync, fchownSync, fstatSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync,
  promises as fs, readdirSync, readlinkSync, rmSync, symlinkSync, writeSync, type Stats,
} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { BuildError, NotFoundError, readWhole, type CopyAction } from '@pipekit/wire';
import { expandGlob, hasMeta } from './glob.ts';
import { resolveInContext, resolveInRoot } from './resolve.ts';

import { applyModeStr } from './mode.ts';
import { checkRequired, CONTEXT_ROOT_MODE, ignoredIn, makeFilter, selectEntries } from './copy-filter.ts';
import { archiveKind, extractArchive } from './unpack.ts';
import { contextReads } from './read-cache.ts';
import { nextTurn } from './turn.ts';
import type { WrittenFiles } from './written.ts';
import { fileCapability, makeSpecialFile, setFileCapability, specialFields } from '@pipekit/cas-store';

export type Owner = { uid: number; gid: number } | null;
export type CopyContext = {
  /** the destination dir existed before: its own metadata stays */
  keepTop?: boolean;
  owner: Owner;
  /** files from the build context belong to root */
  fromLocal: boolean;
  exclude?: (rel: string) => boolean;
  /** small files written, for the commit to pack from memory */
  written?: WrittenFiles;
  /** the step's previous result: unchanged files are hard-linked from it */
  reuse?: Reuse;
  /** a canceled build stops the copy at its next turn */
  signal?: AbortSignal;
};

export type Reuse = {
  /** the previous result's snapshot, laid out as destRoot is */
  prevRoot: string;
  destRoot: string;
  /** the source file has the content record the previous result was made from */
  same: (srcAbs: string) => boolean;
  /** told of each file linked (path relative to destRoot), with its stats now */
  linked?: (rel: string, st: Stats) => void;
};

/** Create the missing directories down to dirAbs, as BuildKit's MkdirAll does: `mode` exactly, `owner`, `mtime` when set. */
async function mkdirp(root: string, dirAbs: string, owner: Owner, mode = 0o755, mtime?: Date): Promise<void> {
  const rel = path.relative(root, dirAbs);
  if (rel === '' || rel.startsWith('..')) return;
  let cur = root;
  for (const part of rel.split(path.sep)) {
    cur = path.join(cur, part);
    const st = await fs.lstat(cur).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st) throw new BuildError(`cannot create directory ${path.relative(root, cur)}: a file is in the way`);
    await fs.mkdir(cur, { mode });
    await fs.chmod(cur, mode);
    if (owner) await fs.lchown(cur, owner.uid, owner.gid);
    if (mtime) await fs.utimes(cur, mtime, mtime);
  }
}

/** Whether entries created in `dir` get exactly our own ids (no setgid inheritance), so chown can be skipped. */
function ownsNewEntries(dir: string): boolean {
  const st = lstatSync(dir);
  return isSelf(st.uid, st.gid) && (st.mode & 0o2000) === 0;
}

let copied = 0;

/**
 * Copy one entry (a directory with everything below it). Filesystem calls are
 * synchronous: a thread-pool round trip per call costs more than the call for
 * the small files contexts are made of; the event loop gets a turn every few
 * hundred entries. `fresh`: dst's parent was created by this copy, so dst does
 * not exist and, with `ours`, would already carry our own ids.
 */
async function copyEntry(src: string, st: Stats, dst: string, a: CopyAction, ctx: CopyContext, rel: string, fresh = false, ours = false): Promise<void> {
  if (ctx.exclude && rel !== '' && ctx.exclude(rel)) return;
  if (++copied % 512 === 0) await nextTurn(ctx.signal);
  const existing = fresh ? undefined : lstatSync(dst, { throwIfNoEntry: false });
  if (existing && !(existing.isDirectory() && st.isDirectory())) rmSync(dst, { recursive: true, force: true });
  if (st.isDirectory()) {
    if (!existing?.isDirectory()) mkdirSync(dst);
    const made = !existing?.isDirectory();
    const childrenOurs = made && ownsNewEntries(dst);
    for (const name of readdirSync(src).sort()) {
      const s = path.join(src, name);
      await copyEntry(s, statOf(s, ctx), path.join(dst, name), a, ctx, rel ? `${rel}/${name}` : name, made, childrenOurs);
    }
    // the dest of a contents copy keeps its own mode and owner (COPY dir/ /tmp/
    // must not make /tmp 0755); copyAction gives it its times afterwards
    if (rel === '' && ctx.keepTop) return;
  } else if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
  else if (st.isFile()) {
    if (ctx.reuse && linkPrevious(src, st, dst, a, ctx, ctx.reuse)) return;
    if (st.size < SMALL) return writeSmallFile(src, st, dst, a, ctx, fresh && ours);
    copyFileSync(src, dst);
  } else {
    // device nodes and named pipes are made again, as BuildKit's copy does;
    // a socket has no form outside its process and is left out
    const special = specialFields(st);
    if (!special) return;
    try {
      await makeSpecialFile(dst, special.type, special.devmajor, special.devminor);
    } catch (err) {
      throw new BuildError(`cannot copy ${special.type.replace('-', ' ')} ${JSON.stringify(rel || path.basename(src))}: ${(err as Error).message}`, { cause: err });
    }
  }
  const [uid, gid] = ownerOf(st, ctx);
  const chowned = !(fresh && ours && isSelf(uid, gid));
  if (chowned) lchownSync(dst, uid, gid);
  if (!st.isSymbolicLink()) {
    const mode = modeOf(st, a);
    // a copied file already has its source's mode, unless chown just cleared
    // set-id bits; mknod applied the umask
    if (!st.isFile() || chowned || mode !== (st.mode & 0o7777)) chmodSync(dst, mode);
  }
  const t = a.timestamp >= 0 ? new Date(a.timestamp * 1000) : st.mtime;
  lutimesSync(dst, t, t);
  if (st.isFile()) copyCapability(src, st, dst);
}

/** Replace the file or symlink at `dst` with `src` (whose stats are `st`), exactly as a copy writes it. */
export async function replaceEntry(src: string, st: Stats, dst: string, a: CopyAction, ctx: CopyContext): Promise<void> {
  if (st.isDirectory()) throw new BuildError(`replaceEntry: ${src} is a directory`);
  await copyEntry(src, st, dst, a, ctx, path.basename(dst));
}

/** Give the existing directory `dst` the owner, mode and times a copy of a source dir (stats `st`) gives it. */
export function copyDirMeta(st: Stats, dst: string, a: CopyAction, ctx: CopyContext): void {
  const [uid, gid] = ownerOf(st, ctx);
  lchownSync(dst, uid, gid);
  chmodSync(dst, modeOf(st, a));
  const t = a.timestamp >= 0 ? new Date(a.timestamp * 1000) : st.mtime;
  lutimesSync(dst, t, t);
}

/** A program's file capabilities go with it, as BuildKit's copy keeps xattrs; set last: a chown drops them. */
function copyCapability(src: string, st: Stats, dst: string): void {
  if ((st.mode & 0o111) === 0) return;
  const cap = fileCapability(src);
  if (cap) setFileCapability(dst, cap);
}

const SMALL = 1024 * 1024;

/** A source entry's stats: for the build context, as hashing its cache key saw them. */
const statOf = (src: string, ctx: CopyContext): Stats => (ctx.fromLocal ? contextReads.takeStat(src) : undefined) ?? lstatSync(src);

// fixed for the process: asked once, not twice per file
const EUID = process.geteuid?.();
const EGID = process.getegid?.();
const UMASK = process.umask();
const isSelf = (uid: number, gid: number) => uid === EUID && gid === EGID;

function ownerOf(st: Stats, ctx: CopyContext): [number, number] {
  if (ctx.owner) return [ctx.owner.uid, ctx.owner.gid];
  return ctx.fromLocal ? [0, 0] : [st.uid, st.gid];
}

function modeOf(st: Stats, a: CopyAction): number {
  if (a.mode >= 0) return a.mode;
  if (a.modeStr) return applyModeStr(st.mode & 0o7777, a.modeStr, st.isDirectory());
  return st.mode & 0o7777;
}

/**
 * An unchanged file taken from the step's previous result by a hard link: same
 * content record (sha256, size, mode) as then, and the previous copy carries
 * exactly the owner, mode and time this copy would give it. Snapshots are never
 * modified, so sharing an inode between two of them is safe.
 */
function linkPrevious(src: string, st: Stats, dst: string, a: CopyAction, ctx: CopyContext, reuse: Reuse): boolean {
  if (!dst.startsWith(`${reuse.destRoot}/`) || !reuse.same(src)) return false;
  const prev = path.join(reuse.prevRoot, dst.slice(reuse.destRoot.length + 1));
  let pst: Stats;
  try {
    pst = lstatSync(prev);
  } catch {
    return false;
  }
  const [uid, gid] = ownerOf(st, ctx);
  const t = a.timestamp >= 0 ? new Date(a.timestamp * 1000) : st.mtime;
  if (!pst.isFile() || pst.size !== st.size || (pst.mode & 0o7777) !== modeOf(st, a) || pst.uid !== uid || pst.gid !== gid || pst.mtime.getTime() !== t.getTime()) return false;
  try {
    linkSync(prev, dst);
    pst.nlink += 1;
    reuse.linked?.(dst.slice(reuse.destRoot.length + 1), pst);
    return true;
  } catch {
    return false; // another filesystem, or a link limit: copy instead
  }
}

/**
 * A small file in one read and one write, with its metadata set through the
 * open descriptor: on this kind of disk that is several times faster than
 * copy_file_range plus path-based calls. `wx`: dst was removed or never
 * existed, and a symlink put there meanwhile is not followed.
 */
function writeSmallFile(src: string, st: Stats, dst: string, a: CopyAction, ctx: CopyContext, ours: boolean): void {
  const data = (ctx.fromLocal ? contextReads.take(src, st) : undefined) ?? readWhole(src, st.size);
  const mode = modeOf(st, a);
  const fd = openSync(dst, 'wx', mode & 0o777);
  try {
    for (let off = 0; off < data.length;) off += writeSync(fd, data, off);
    const [uid, gid] = ownerOf(st, ctx);
    const chowned = !(ours && isSelf(uid, gid));
    if (chowned) fchownSync(fd, uid, gid);
    // open applied the umask; chown clears set-id bits
    if (chowned || (mode & ~0o777) !== 0 || (mode & UMASK) !== 0) fchmodSync(fd, mode);
    const t = a.timestamp >= 0 ? new Date(a.timestamp * 1000) : st.mtime;
    futimesSync(fd, t, t);
    copyCapability(src, st, dst);
    ctx.written?.add(dst, fstatSync(fd), data);
  } finally {
    closeSync(fd);
  }
}

/** The context root's stats as the copy treats them (see CONTEXT_ROOT_MODE). */
function contextRootStat(st: Stats): Stats {
  return Object.assign(Object.create(Object.getPrototypeOf(st) as object) as Stats, st, { mode: (st.mode & ~0o7777) | CONTEXT_ROOT_MODE });
}

export async function copyAction(destRoot: string, srcRoot: string, a: CopyAction, ctx: CopyContext): Promise<void> {
  const wild = a.allowWildcard && hasMeta(a.src);
  // a local source's .dockerignore hides files from every copy that reads it
  const ignore = ignoredIn(srcRoot);
  const ignored = (p: string) => ignore !== undefined && p.replace(/^\/+/, '') !== '' && ignore.matches(p);
  let sources = wild ? await expandGlob(srcRoot, a.src) : [a.src];
  if (wild) sources = sources.filter((p) => !ignored(p));
  else if (ignored(a.src)) throw new NotFoundError(`${JSON.stringify(a.src)}: not found: excluded by .dockerignore`);
  if (sources.length === 0) {
    if (a.allowEmptyWildcard) return;
    throw new NotFoundError(`no source files were specified: ${JSON.stringify(a.src)} matched nothing`);
  }
  const destIsDir = a.dest.endsWith('/') || a.dest.endsWith('/.') || sources.length > 1;
  for (const s of sources) {
    const srcAbs = ctx.fromLocal ? await resolveInContext(srcRoot, s, a.followSymlink) : await resolveInRoot(srcRoot, s, a.followSymlink);
    const found = await fs.lstat(srcAbs).catch(() => undefined);
    if (!found) throw new NotFoundError(`${JSON.stringify(s)}: not found`);
    const isContextRoot = ctx.fromLocal && path.resolve(srcAbs) === path.resolve(srcRoot);
    const st = isContextRoot && found.isDirectory() ? contextRootStat(found) : found;
    let target = await resolveInRoot(destRoot, a.dest, true);
    const tst = await fs.lstat(target).catch(() => undefined);
    if (st.isDirectory() && a.dirCopyContents) {
      // contents of the directory go into dest
    } else if (destIsDir || tst?.isDirectory()) target = path.join(target, path.basename(srcAbs === srcRoot ? '/' : s));
    const parent = st.isDirectory() && a.dirCopyContents ? target : path.dirname(target);
    // a directory's contents go into dest: dest keeps its own mode and owner, or,
    // made here, gets those of the directories a copy creates (a numeric --chmod,
    // else 0755; --chown) and never the source dir's; its times become the
    // source dir's once the copy is done (BuildKit's fsutil copy)
    const keepTop = st.isDirectory() && a.dirCopyContents;
    ctx = { ...ctx, keepTop };
    const stamp = a.timestamp >= 0 ? new Date(a.timestamp * 1000) : undefined;
    const topTimes = () => keepTop && lutimesSync(target, stamp ?? st.mtime, stamp ?? st.mtime);
    if (a.createDestPath) await mkdirp(destRoot, parent, ctx.owner, a.mode >= 0 ? a.mode : 0o755, stamp);
    else if (!(await fs.lstat(parent).then((p) => p.isDirectory(), () => false))) {
      throw new NotFoundError(`destination directory ${JSON.stringify(`/${path.relative(destRoot, parent)}`)} does not exist`);
    }
    if (a.attemptUnpack && st.isFile() && (await archiveKind(srcAbs)) !== null) {
      // ADD of a local archive: its contents go into dest (a directory)
      const out = await extractArchive(srcAbs, s);
      try {
        const dir = await resolveInRoot(destRoot, a.dest, true);
        await mkdirp(destRoot, dir, ctx.owner);
        const keep: CopyAction = { ...a, mode: a.mode, timestamp: a.timestamp };
        // the destination keeps what mkdirp gave it (0755) or had: the temp dir's metadata is not the archive's
        await copyEntry(out, await fs.lstat(out), dir, keep, { ...ctx, fromLocal: false, keepTop: true }, '');
      } finally {
        await fs.rm(out, { recursive: true, force: true });
      }
      continue;
    }
    const filter = st.isDirectory() ? makeFilter(srcRoot, srcAbs, a.excludePatterns, a.includePatterns) : undefined;
    if (filter) {
      // --exclude, --parents patterns or .dockerignore: copy the kept entries one by one
      await checkRequired(srcAbs, a.requiredPaths);
      // a dir's entries are copied after it, which changes its times: they are set again once all are in
      const dirTimes: [string, Date][] = [];
      for (const rel of await selectEntries(srcAbs, filter)) {
        const from = rel ? path.join(srcAbs, rel) : srcAbs;
        const fst = rel === '' ? st : statOf(from, ctx);
        const to = rel ? path.join(target, rel) : target;
        // each kept entry is copied alone: only the top one is the dest that keeps its own metadata
        await copyEntry(from, fst, to, a, { ...ctx, keepTop: ctx.keepTop && rel === '', exclude: () => true }, '');
        if (fst.isDirectory() && !(rel === '' && keepTop)) dirTimes.push([to, stamp ?? fst.mtime]);
      }
      for (const [dir, t] of dirTimes) lutimesSync(dir, t, t);
      topTimes();
      continue;
    }
    await copyEntry(srcAbs, st, target, a, ctx, '');
    topTimes();
  }
}
