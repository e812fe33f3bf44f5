// A COPY of a local directory's contents that ran before and runs again
// because a few of its files changed. Made from scratch, its snapshot is a hard
// link per unchanged file (20,000 of them for a big context) and its tar packs
// every entry again. Instead the previous layer is revised (cas-store's
// reviseLayer): the changed entries are written into its snapshot and the new
// tar is the old one with those entries' bytes replaced.
//
// Which entries can have changed comes from their ctimes, as the context memo
// decides (changed-since.ts): the last build of this step began reading the
// same dir at `readAt`, after which it wrote what it read; an entry whose ctime
// is older than that (less a margin for coarse clocks) is as it was then, and
// so is its copy in the previous snapshot. The checksum that made this build's
// cache key knows them (its walk lstat'ed every entry, or it came from records
// and asked find what changed); else find is asked here.
//
// Entries added to or removed from a changed dir are written into the snapshot
// or removed from it, and their bytes go into the tar where packing the tree
// would put them: it walks each dir's names in code-unit order, depth first.
//
// Only the plain case is taken, where the result is what a full copy would
// make, byte for byte: the same step definition and inputs (previousResult
// checks), the contents of one source dir (no wildcard, no --exclude, no
// .dockerignore re-includes), every changed entry that was there before of the
// same type, and nothing changed, added or removed that the base also holds.
import { lstatSync, mkdirSync, readdirSync, lutimesSync, rmSync, type Stats } from 'node:fs';
import path from 'node:path';
import { type CopyAction, type FileAction } from '@pipekit/wire';
import { dirBytes, packEntry, reviseLayer, tarEntries, type LayerEntry, type Revision, type TarEntrySpan } from '@pipekit/cas-store';
import type { SolveContext, Vertex } from '../context.ts';
import type { LayersRef } from '../refs.ts';
import { layeredView } from '../view.ts';
import type { RootFs } from '../fs/user.ts';
import { copyDirMeta, replaceEntry, type CopyContext, type Owner } from '../fs/copy.ts';
import { ignoredIn } from '../fs/copy-filter.ts';
import { hasMeta } from '../fs/glob.ts';
import { resolveInContext } from '../fs/resolve.ts';
import { contextReads } from '../fs/read-cache.ts';
import { MARGIN_MS } from '../fs/context-memo.ts';
import { walkOrder } from '../fs/walk-order.ts';
import { changesSince } from '../fs/changed-since.ts';
import { planDirs } from './direct-copy.ts';

/** past this share of changed entries a full copy costs about as much */
const MAX_CHANGED_SHARE = 0.25;
/** a changed file bigger than this is copied as usual */
const MAX_FILE_BYTES = 256 * 1024 * 1024;
/** entries re-copied at most, whatever the share */
const MAX_CHANGED = 50_000;

type Change = { src: string; st: Stats; rel: string };

const TAR_TYPE = { file: [0x30, 0], dir: [0x35], symlink: [0x32] };
const HARD_LINK = 0x31;

function kindOf(st: Stats): 'file' | 'dir' | 'symlink' | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return undefined;
}

/** One splice of the previous tar: the bytes from `start` to `end` become `bytes` (an insertion when they are equal). */
type Splice = { start: number; end: number; bytes: Buffer; rel: string };

/**
 * The new layer on top of `base` for the single copy action `a` of `v`, made
 * from the step's previous layer; undefined when this case is not the plain one
 * (nothing was changed then, and the caller copies as usual).
 */
export async function patchPrevious(
  ctx: SolveContext, v: Vertex, a: FileAction, base: LayersRef, resolveOwner: (root: RootFs) => Promise<Owner>,
): Promise<LayerEntry | undefined> {
  const c = a.copy as CopyAction;
  const src = a.secondaryInput >= 0 ? v.inputs[a.secondaryInput] : undefined;
  if (src?.kind !== 'dir' || !c.dirCopyContents || (c.allowWildcard && hasMeta(c.src))) return undefined;
  if (c.excludePatterns.length || c.includePatterns.length || c.requiredPaths.length) return undefined;
  const prev = await v.previous?.();
  if (!prev?.readAt || !prev.blob || Date.now() < prev.readAt) return undefined;
  const srcAbs = await resolveInContext(src.dir, c.src, c.followSymlink).catch(() => undefined);
  // a .dockerignore leaves out what it matches with everything below it; re-includes (`!`) are not taken here
  const ignore = ignoredIn(src.dir);
  if (!srcAbs || ignore?.hasExclusions) return undefined;
  const kept = (abs: string) => !ignore || !ignore.matches(path.relative(src.dir, abs).split(path.sep).join('/'));
  const since = prev.readAt - MARGIN_MS;
  if (!lstatSync(srcAbs, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  const found = contextReads.changedUnder(srcAbs, since) ?? (await findChanged(srcAbs, since, kept));
  if (!found) return undefined;
  for (const abs of [...found.keys()]) if (!kept(abs)) found.delete(abs);
  const view = layeredView(ctx.store, base);
  const destParts = c.dest.split('/').filter((p) => p !== '' && p !== '.');
  if (destParts.includes('..') || !planDirs(view, c.dest)) return undefined;
  const destRel = destParts.join('/');

  // a changed dir may have been moved here, bringing entries whose ctimes did
  // not change: below it, every dir counts as changed, and every other entry
  // unless its content record is the last build's and its copy has the same
  // mtime in whole seconds, as a layer holds it (then copying it again would
  // give the same entry; a copy keeps a time to the ms or finer, so one that
  // could round into the next second counts as changed)
  const snapshotOf = (abs: string) => path.join(prev.snapshotDir, destRel, path.relative(srcAbs, abs));
  const unchanged = (abs: string, st: Stats): boolean => {
    const key = path.posix.normalize(`/${path.relative(src.dir, abs).split(path.sep).join('/')}`);
    const was = prev.files.get(key);
    if (was === undefined || was !== prev.current.get(key)) return false;
    if (c.timestamp >= 0) return true;
    const old = lstatSync(snapshotOf(abs), { throwIfNoEntry: false });
    const sec = Math.floor(st.mtimeMs / 1000);
    return old !== undefined && !old.isDirectory() && Math.floor(old.mtimeMs / 1000) === sec && Math.floor(Math.round(st.mtimeMs) / 1000) === sec;
  };
  // the source dir itself: its dest keeps its mode and owner and takes its times (see copyAction)
  const top = found.get(srcAbs);
  found.delete(srcAbs);
  if (top && destRel === '') return undefined;
  const changed = new Map(found);
  for (const [abs, st] of [...found, ...(top ? [[srcAbs, top] as const] : [])]) {
    if (st.isDirectory() && !below(abs, changed, MAX_CHANGED, kept, unchanged)) return undefined;
  }
  if (changed.size > MAX_CHANGED) return undefined;
  const changes: Change[] = [];
  for (const [abs, st] of changed) {
    const rel = path.posix.join(destRel, path.relative(srcAbs, abs).split(path.sep).join('/'));
    changes.push({ src: abs, st, rel });
  }
  // parents before children: an added dir is made before what goes in it
  changes.sort((x, y) => walkOrder(x.rel, y.rel));

  // everything that can rule this case out is checked before the snapshot is taken
  const tar = await ctx.store.blobs.read(prev.blob.digest).catch(() => undefined);
  if (!tar) return undefined;
  const entries = tarEntries(tar);
  if (changes.length > entries.size * MAX_CHANGED_SHARE) return undefined;
  const added = new Set<string>();
  const removed: string[] = [];
  // the dest's times: in the layer (not left out as the base's own), and not by chance the base's again
  const topTime = top && (c.timestamp >= 0 ? new Date(c.timestamp * 1000) : top.mtime);
  if (topTime) {
    if (entries.get(destRel)?.type !== TAR_TYPE.dir[0]) return undefined;
    const inBase = view.lstat(destRel)?.st;
    if (inBase && Math.floor(inBase.mtimeMs / 1000) === Math.floor(topTime.getTime() / 1000)) return undefined;
  }
  /** Entries of the source dir `abs` (a copy leaves out what .dockerignore does) that its copy at `rel` no longer has. */
  const gone = (abs: string, rel: string) => {
    const now = new Set(readdirSync(abs).filter((n) => kept(path.join(abs, n))));
    for (const n of readdirSync(path.join(prev.snapshotDir, rel))) if (!now.has(n)) removed.push(path.posix.join(rel, n));
  };
  if (top) gone(srcAbs, destRel);
  for (const ch of changes) {
    const kind = kindOf(ch.st);
    // a changed file's entry is made in memory: a big one is streamed by the usual copy
    if (!kind || ch.st.size > MAX_FILE_BYTES) return undefined;
    // the base's own entry could make a cold build leave this one out of its layer (dropUnchanged)
    if (view.lstat(ch.rel)) return undefined;
    const old = lstatSync(path.join(prev.snapshotDir, ch.rel), { throwIfNoEntry: false });
    const e = entries.get(ch.rel);
    if (!old) {
      // new here: in a dir the previous layer holds, or in one added with it
      const parent = path.posix.dirname(ch.rel);
      if (e || !(added.has(parent) || lstatSync(path.join(prev.snapshotDir, parent), { throwIfNoEntry: false })?.isDirectory())) return undefined;
      added.add(ch.rel);
      continue;
    }
    if (kindOf(old) !== kind || !e || !TAR_TYPE[kind].includes(e.type)) return undefined;
    if (kind === 'dir') gone(ch.src, ch.rel);
  }
  if (changes.length + removed.length > entries.size * MAX_CHANGED_SHARE) return undefined;
  // where new entries go and what removed ones span, in the previous tar
  const names = [...entries.keys()];
  const splices: Splice[] = [];
  if (added.size || removed.length) {
    // a hard link's target may be what moves or goes; and the archive must be in walk order to place entries
    for (let k = 0; k < names.length; k++) {
      if ((entries.get(names[k]) as TarEntrySpan).type === HARD_LINK || (k > 0 && walkOrder(names[k - 1], names[k]) >= 0)) return undefined;
    }
    for (const rel of removed) {
      // the names are in walk order (checked above)
      const k = firstNotBefore(names, rel);
      if (names[k] !== rel) return undefined;
      let last = k;
      while (last + 1 < names.length && names[last + 1].startsWith(`${rel}/`)) last++;
      splices.push({ start: (entries.get(rel) as TarEntrySpan).start, end: (entries.get(names[last]) as TarEntrySpan).end, bytes: Buffer.alloc(0), rel });
    }
  }
  // in walk order (checked when entries are added): the last entry ends the archive's entries
  const tarEnd = names.length ? (entries.get(names[names.length - 1]) as TarEntrySpan).end : 0;
  /** Offset where packing would write `rel`: before the first entry it precedes, else after the last. */
  const insertAt = (rel: string): number => {
    const k = firstNotBefore(names, rel);
    return k < names.length ? (entries.get(names[k]) as TarEntrySpan).start : tarEnd;
  };

  const copyCtx: CopyContext = { owner: await resolveOwner(view), fromLocal: true, signal: ctx.signal };
  return reviseLayer(ctx.store, prev.layer, async (dir, bytes) => {
    let delta = 0;
    for (const rel of removed) {
      const abs = path.join(dir, rel);
      const st = lstatSync(abs);
      delta -= st.isDirectory() ? await dirBytes(abs) : st.size;
      rmSync(abs, { recursive: true, force: true });
    }
    const files = changes.filter((ch) => !ch.st.isDirectory());
    const dirs = changes.filter((ch) => ch.st.isDirectory());
    for (const ch of dirs) if (added.has(ch.rel)) mkdirSync(path.join(dir, ch.rel));
    // replacing a file changes its dir's times: those of dirs that did not change are put back
    const parents = new Map<string, Stats>();
    for (const ch of files) {
      const p = path.join(dir, path.posix.dirname(ch.rel));
      if (!parents.has(p)) parents.set(p, lstatSync(p));
    }
    for (const ch of files) {
      const dst = path.join(dir, ch.rel);
      if (!added.has(ch.rel)) delta -= lstatSync(dst).size;
      await replaceEntry(ch.src, ch.st, dst, c, copyCtx);
    }
    for (const [p, st] of parents) lutimesSync(p, st.atimeMs / 1000, st.mtimeMs / 1000);
    for (const ch of dirs) copyDirMeta(ch.st, path.join(dir, ch.rel), c, copyCtx);
    if (topTime) {
      const abs = path.join(dir, destRel);
      lutimesSync(abs, topTime, topTime);
      const span = entries.get(destRel) as TarEntrySpan;
      splices.push({ start: span.start, end: span.end, bytes: packEntry(destRel, abs, lstatSync(abs)), rel: destRel });
    }
    for (const ch of changes) {
      const abs = path.join(dir, ch.rel);
      const st = lstatSync(abs);
      if (!st.isDirectory()) delta += st.size;
      const bytes = packEntry(ch.rel, abs, st);
      if (added.has(ch.rel)) {
        const at = insertAt(ch.rel);
        splices.push({ start: at, end: at, bytes, rel: ch.rel });
      } else {
        const span = entries.get(ch.rel) as TarEntrySpan;
        splices.push({ start: span.start, end: span.end, bytes, rel: ch.rel });
      }
    }
    return { tar: spliced(tar, splices), bytes: bytes === undefined ? undefined : bytes + delta } satisfies Revision;
  });
}

/**
 * Add what a copy takes below `dir` to `into` with its stats (every dir, and
 * every other entry not `unchanged`); false past `max` entries.
 */
function below(dir: string, into: Map<string, Stats>, max: number, kept: (abs: string) => boolean, unchanged: (abs: string, st: Stats) => boolean): boolean {
  for (const name of readdirSync(dir)) {
    const abs = path.join(dir, name);
    if (!kept(abs)) continue;
    const st = lstatSync(abs);
    if (!st.isDirectory() && unchanged(abs, st)) continue;
    into.set(abs, st);
    if (into.size > max) return false;
    if (st.isDirectory() && !below(abs, into, max, kept, unchanged)) return false;
  }
  return true;
}

/**
 * Entries at or below `dir` changed since `since`, asked of find when this
 * build's checksum did not see them (it came from a memo taken later than the
 * step's last build began reading).
 */
async function findChanged(dir: string, since: number, kept: (abs: string) => boolean): Promise<Map<string, Stats> | undefined> {
  const found = await changesSince(dir, since);
  if (!found) return undefined;
  const out = new Map<string, Stats>();
  for (const rel of found.entries.keys()) {
    const abs = rel ? path.join(dir, rel) : dir;
    if (!kept(abs)) continue;
    const st = lstatSync(abs, { throwIfNoEntry: false });
    // gone since find saw it: something is being removed; copy as usual
    if (!st) return undefined;
    out.set(abs, st);
  }
  return out;
}

/** The index of the first of `names` (in walk order) that `rel` does not come after: its own, or where it would go. */
function firstNotBefore(names: string[], rel: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (walkOrder(names[mid], rel) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `tar` with its splices applied. At one offset, insertions come before the
 * entry there (which may itself be replaced or removed), in walk order.
 */
async function* spliced(tar: Buffer, splices: Splice[]): AsyncGenerator<Uint8Array> {
  const ordered = [...splices].sort((x, y) => x.start - y.start || (y.end === y.start ? 1 : 0) - (x.end === x.start ? 1 : 0) || walkOrder(x.rel, y.rel));
  let pos = 0;
  for (const s of ordered) {
    if (s.start > pos) yield tar.subarray(pos, s.start);
    if (s.bytes.length) yield s.bytes;
    pos = Math.max(pos, s.end);
  }
  yield tar.subarray(pos);
}
