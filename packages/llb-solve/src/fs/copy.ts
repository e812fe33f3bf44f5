// The copy action of a file op (COPY/ADD): sources may be wildcards, a source
// directory contributes its contents, a destination ending in `/` is a directory,
// and everything written stays inside the destination root.
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { BuildError, NotFoundError, type CopyAction, fsLimit } from '@pipekit/wire';
import { expandGlob, hasMeta } from './glob.ts';
import { resolveInContext, resolveInRoot } from './resolve.ts';

import { applyModeStr } from './mode.ts';
import { checkRequired, ignoredIn, makeFilter, selectEntries } from './copy-filter.ts';
import { archiveKind, extractArchive } from './unpack.ts';

export type Owner = { uid: number; gid: number } | null;
export type CopyContext = {
  /** the destination dir existed before: its own metadata stays */
  keepTop?: boolean; owner: Owner; /** files from the build context belong to root */ fromLocal: boolean; exclude?: (rel: string) => boolean };

async function mkdirp(root: string, dirAbs: string, owner: Owner, mtime?: Date): Promise<void> {
  const rel = path.relative(root, dirAbs);
  if (rel === '' || rel.startsWith('..')) return;
  let cur = root;
  for (const part of rel.split(path.sep)) {
    cur = path.join(cur, part);
    const st = await fs.lstat(cur).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st) throw new BuildError(`cannot create directory ${path.relative(root, cur)}: a file is in the way`);
    await fs.mkdir(cur, { mode: 0o755 });
    await fs.chmod(cur, 0o755);
    if (owner) await fs.lchown(cur, owner.uid, owner.gid);
    if (mtime) await fs.utimes(cur, mtime, mtime);
  }
}

async function copyEntry(src: string, st: Stats, dst: string, a: CopyAction, ctx: CopyContext, rel: string): Promise<void> {
  if (ctx.exclude && rel !== '' && ctx.exclude(rel)) return;
  const existing = await fs.lstat(dst).catch(() => undefined);
  if (existing && !(existing.isDirectory() && st.isDirectory())) await fs.rm(dst, { recursive: true, force: true });
  if (st.isDirectory()) {
    if (!existing?.isDirectory()) await fs.mkdir(dst);
    // siblings in parallel (filesystem calls bounded): one at a time leaves the pool idle
    await Promise.all((await fs.readdir(src)).sort().map(async (name) => {
      const s = path.join(src, name);
      await copyEntry(s, await fsLimit(() => fs.lstat(s)), path.join(dst, name), a, ctx, rel ? `${rel}/${name}` : name);
    }));
    // copying a directory's contents into one that exists keeps that one's
    // mode, owner and times (COPY dir/ /tmp/ must not make /tmp 0755)
    if (rel === '' && ctx.keepTop) return;
  } else if (st.isSymbolicLink()) await fs.symlink(await fs.readlink(src), dst);
  else if (st.isFile()) await fsLimit(() => fs.copyFile(src, dst));
  else return; // devices, fifos and sockets are not copied
  const uid = ctx.owner ? ctx.owner.uid : ctx.fromLocal ? 0 : st.uid;
  const gid = ctx.owner ? ctx.owner.gid : ctx.fromLocal ? 0 : st.gid;
  await fs.lchown(dst, uid, gid);
  if (!st.isSymbolicLink()) {
    let mode = st.mode & 0o7777;
    if (a.mode >= 0) mode = a.mode;
    else if (a.modeStr) mode = applyModeStr(mode, a.modeStr, st.isDirectory());
    await fs.chmod(dst, mode);
  }
  const t = a.timestamp >= 0 ? new Date(a.timestamp * 1000) : st.mtime;
  await fs.lutimes(dst, t, t);
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
    const st = await fs.lstat(srcAbs).catch(() => undefined);
    if (!st) throw new NotFoundError(`${JSON.stringify(s)}: not found`);
    let target = await resolveInRoot(destRoot, a.dest, true);
    const tst = await fs.lstat(target).catch(() => undefined);
    if (st.isDirectory() && a.dirCopyContents) {
      // contents of the directory go into dest
    } else if (destIsDir || tst?.isDirectory()) target = path.join(target, path.basename(srcAbs === srcRoot ? '/' : s));
    const parent = st.isDirectory() && a.dirCopyContents ? target : path.dirname(target);
    const keepTop = st.isDirectory() && a.dirCopyContents && (await fs.lstat(target).then((t) => t.isDirectory(), () => false));
    ctx = { ...ctx, keepTop };
    if (a.createDestPath) await mkdirp(destRoot, parent, ctx.owner);
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
        await copyEntry(out, await fs.lstat(out), dir, keep, { ...ctx, fromLocal: false }, '');
      } finally {
        await fs.rm(out, { recursive: true, force: true });
      }
      continue;
    }
    const filter = st.isDirectory() ? makeFilter(srcRoot, srcAbs, a.excludePatterns, a.includePatterns) : undefined;
    if (filter) {
      // --exclude, --parents patterns or .dockerignore: copy the kept entries one by one
      await checkRequired(srcAbs, a.requiredPaths);
      for (const rel of await selectEntries(srcAbs, filter)) {
        const from = rel ? path.join(srcAbs, rel) : srcAbs;
        const fst = await fs.lstat(from);
        const to = rel ? path.join(target, rel) : target;
        await copyEntry(from, fst, to, a, { ...ctx, exclude: () => true }, '');
      }
      continue;
    }
    await copyEntry(srcAbs, st, target, a, ctx, '');
  }
}
