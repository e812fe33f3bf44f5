// Content checksums for cache keys: what a COPY or bind mount actually reads.
// Covers names, type, permission bits, owner, size, symlink targets and file
// bytes, never mtimes, so touching a file leaves its checksum unchanged.
import * as crypto from 'node:crypto';
import type { Hash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from 'node:fs';
import path from 'node:path';
import { lstatMaybe, NotFoundError, readWhole } from '@pipekit/wire';
import { fileCapability, specialKind } from '@pipekit/cas-store';
import type { DigestIndex } from './digest-index.ts';
import { ContextMemo, MARGIN_MS, type Records } from './context-memo.ts';
import type { Prune } from './changed-since.ts';
import { contextReads } from './read-cache.ts';
import type { PatternMatcher } from './dockerignore.ts';
import { CONTEXT_ROOT_MODE, ignoredIn } from './copy-filter.ts';
import { expandGlob, hasMeta } from './glob.ts';
import { walkOrder } from './walk-order.ts';
import { resolveInContext, resolveInRoot } from './resolve.ts';
import { nextTurn } from './turn.ts';
import { knowRecordHash } from './record-hash.ts';
import { RecordIndex } from './record-index.ts';

export type HashOptions = {
  followSymlink?: boolean;
  allowWildcard?: boolean;
  /** uid/gid do not matter (local context) */
  ignoreOwner?: boolean;
  /** the root is a build context: symlinks out of it are errors */
  context?: boolean;
  /** filled with each entry's record, keyed by path (to explain cache misses; see record-hash.ts) */
  collect?: Map<string, string>;
  /** entries left out (a local source's .dockerignore), by root-relative path */
  skip?: (rel: string) => boolean;
  /** a copy's --exclude patterns, matched below each source path: excluded entries are not read */
  exclude?: PatternMatcher;
  /** remembered digests of unchanged files (a local context's index; root is its dir), opened when first needed */
  index?: DigestIndex | (() => Promise<DigestIndex>);
  /** remembered checksums of this local context: each hash is remembered here */
  memo?: ContextMemo;
  /** and may come from it when nothing changed (collect then stays empty); onMemo says when it did */
  useMemo?: boolean;
  onMemo?: () => void;
  /** a canceled build stops the walk at its next turn */
  signal?: AbortSignal;
  /** when the step began reading (ms), if before this call: the memo remembers the checksum as of then */
  readAt?: number;
};

type WalkOptions = Omit<HashOptions, 'index'> & { index?: DigestIndex };

// one read call for small files: a stream per file costs more than hashing it
const SMALL = 1024 * 1024;

// larger files are read in chunks of this size, with sync calls (a stream's
// thread-pool trip per 64 KiB chunk made a 2 MB file take ~8 ms, not ~2),
// letting other work run between every few chunks
const CHUNK = 1024 * 1024;
const CHUNKS_PER_TURN = 8;
let chunk: Buffer | undefined;

async function largeFileDigest(abs: string, signal: AbortSignal | undefined): Promise<string> {
  const h = crypto.createHash('sha256');
  const fd = openSync(abs, 'r');
  try {
    for (let n = 1; ; n++) {
      // one buffer, taken for the time between two awaits
      const buf = (chunk ??= Buffer.allocUnsafe(CHUNK));
      const got = readSync(fd, buf, 0, CHUNK, null);
      if (got === 0) break;
      h.update(buf.subarray(0, got));
      if (n % CHUNKS_PER_TURN === 0) await nextTurn(signal);
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

type Walk = {
  h: Hash; opts: WalkOptions; root: string; readAt: number; visited: number;
  /** the source path being hashed */
  base: string;
  /** filled with each record by its path below the source (and a dir's inode), when kept for the next build */
  entries?: Records['entries'];
};

/**
 * Hash the records of a tree into w.h, in order. Filesystem calls are
 * synchronous (a thread-pool round trip per small file costs more than the
 * call); the event loop gets a turn every few hundred entries.
 */
async function hashTree(abs: string, rel: string, w: Walk): Promise<void> {
  const { opts } = w;
  const st = lstatMaybe(abs);
  if (!st) throw new NotFoundError(`${JSON.stringify(rel)}: not found`);
  // --exclude patterns match below the copied source; an excluded dir is still
  // walked when re-include patterns could bring files back (its own record is left out)
  const sub = rel === w.base ? '' : rel.slice(w.base.length).replace(/^\/+/, '');
  if (sub !== '' && opts.exclude?.matches(sub)) {
    if (!st.isDirectory() || !opts.exclude.hasExclusions) return;
    for (const n of readdirSync(abs).sort()) await hashTree(path.join(abs, n), `${rel}/${n}`, w);
    return;
  }
  if (opts.index) contextReads.keepStat(abs, st);
  const record = await recordOf(abs, rel, st, w);
  w.h.update(record);
  // shown as the image path it is read from: /src/a, not ./src/a or //src/a
  opts.collect?.set(path.posix.normalize(`/${rel}`), record);
  w.entries?.push(st.isDirectory() ? [sub, record, st.ino] : [sub, record]);
  if (++w.visited % 512 === 0) await nextTurn(opts.signal);
  if (!st.isDirectory()) return;
  const names = readdirSync(abs).sort().filter((n) => !opts.skip?.(`${rel}/${n}`));
  for (const n of names) await hashTree(path.join(abs, n), `${rel}/${n}`, w);
}

/** The record of one entry: what its part of the checksum says about it. */
async function recordOf(abs: string, rel: string, st: Stats, w: Walk): Promise<string> {
  const { opts } = w;
  const owner = opts.ignoreOwner ? '0:0' : `${st.uid}:${st.gid}`;
  const mode = (opts.context && st.isDirectory() && path.resolve(abs) === path.resolve(w.root) ? CONTEXT_ROOT_MODE : st.mode & 0o7777).toString(8);
  if (st.isSymbolicLink()) return `L ${rel} ${mode} ${owner} ${readlinkSync(abs)}\0`;
  if (st.isFile()) return `F ${rel} ${mode} ${owner} ${st.size} ${await fileContent(abs, st, w)}\0`;
  if (st.isDirectory()) return `D ${rel} ${mode} ${owner}\0`;
  // a named pipe, a device (its number) or a socket: each copies differently
  return `O ${rel} ${mode} ${owner} ${specialKind(st) ?? 'socket'} ${st.rdev}\0`;
}

const typeOf = (st: Stats) => (st.isSymbolicLink() ? 'L' : st.isFile() ? 'F' : st.isDirectory() ? 'D' : 'O');

/** walks shorter than this are not kept as records: walking them again costs little */
const KEEP_RECORDS_FROM = 1000;

/**
 * The checksum of source `p` (at `abs`, reached directly) from the records of
 * its last walk, re-reading only the entries changed since (find, see
 * context-memo.ts). An entry added to or removed from a changed dir shows as
 * that dir's other list of names: an added one is walked (with all below it)
 * and its records go in where a walk puts them, a removed one's go. Undefined
 * when that cannot be trusted: no records, an entry of another type, a dir
 * moved here (another inode), or find cannot tell. Fills `collect` as a walk
 * would.
 */
async function fromRecords(abs: string, p: string, key: string, w: Walk, prune: Prune | undefined): Promise<{ sum: string; at: number; records: Records } | undefined> {
  const memo = w.opts.memo as ContextMemo;
  const takenAt = memo.takenAt(key);
  if (takenAt === undefined || !memo.hasRecords(key)) return undefined;
  const since = takenAt - MARGIN_MS;
  // find runs (a process of its own) while the records are read
  const finding = memo.changedSince(since, prune);
  const saved = await memo.recordsOf(key);
  const changed = await finding;
  if (!saved || saved.top !== abs || !changed) return undefined;
  // what the entries left as they are hash to (explain notes keep those hashes)
  if (saved.hashes?.length === saved.entries.length) saved.entries.forEach((e, i) => knowRecordHash(e[1], (saved.hashes as string[])[i]));
  const topRel = path.relative(w.root, abs);
  const entries = saved.entries.slice();
  const index = new RecordIndex(entries);
  const stats = new Map<string, Stats>();
  // the subs of removed entries (their records go with everything below them), and the records of added ones
  const removed = new Set<string>();
  const added: Records['entries'] = [];
  for (const rel of changed.entries.keys()) {
    const sub = topRel === '' ? rel : rel === topRel ? '' : rel.startsWith(`${topRel}/`) ? rel.slice(topRel.length + 1) : undefined;
    if (sub === undefined) continue;
    const i = index.indexOf(sub);
    // not read by this checksum (ignored): an entry added shows as a change of its dir
    if (i === undefined) continue;
    const eAbs = sub ? path.join(abs, sub) : abs;
    const st = lstatMaybe(eAbs);
    if (!st || typeOf(st) !== entries[i][1][0]) return undefined;
    if (st.isDirectory()) {
      // a dir moved here from elsewhere brings entries whose ctimes did not change
      if (st.ino !== entries[i][2]) return undefined;
      const names = readdirSync(eAbs).filter((n) => !w.opts.skip?.(`${sub ? `${p}/${sub}` : p}/${n}`)).sort();
      const had = new Set(index.childrenOf(i));
      const now = new Set(names);
      for (const n of had) if (!now.has(n)) removed.add(sub ? `${sub}/${n}` : n);
      for (const n of names) {
        if (had.has(n)) continue;
        // walked as a full walk would (its own hash and records; `collect` is filled in walk order below)
        const part: Walk = { ...w, opts: { ...w.opts, collect: undefined }, h: crypto.createHash('sha256'), entries: [] };
        await hashTree(path.join(eAbs, n), `${sub ? `${p}/${sub}` : p}/${n}`, part);
        for (const e of part.entries as Records['entries']) {
          const st = lstatMaybe(path.join(abs, e[0]));
          if (st) stats.set(path.join(abs, e[0]), st);
          added.push(e);
        }
      }
    }
    stats.set(eAbs, st);
    entries[i] = [sub, await recordOf(eAbs, sub ? `${p}/${sub}` : p, st, w), ...(st.isDirectory() ? [st.ino] : [])] as Records['entries'][number];
  }
  const all = removed.size || added.length ? relisted(index.without(removed), added) : entries;
  // the paths a walk collects; a sub is names joined by '/', with nothing to normalize
  const topPath = path.posix.normalize(`/${p}`);
  const under = topPath.endsWith('/') ? topPath : `${topPath}/`;
  // hashed in batches: one native call per record cost ~10 ms for 20,000
  let batch = '';
  for (const [sub, record] of all) {
    batch += record;
    if (batch.length >= 64 * 1024) {
      w.h.update(batch);
      batch = '';
    }
    w.opts.collect?.set(sub ? under + sub : topPath, record);
  }
  w.h.update(batch);
  contextReads.noteChanges(abs, { since, stats });
  const sum = `sha256:${w.h.digest('hex')}`;
  return { sum, at: Math.min(changed.startedAt, w.readAt), records: { v: 2, sum, top: abs, entries: all } };
}

/** `kept` (in walk order) with `added` merged in walk order. */
function relisted(kept: Records['entries'], added: Records['entries']): Records['entries'] {
  const fresh = [...added].sort((x, y) => walkOrder(x[0], y[0]));
  const out: Records['entries'] = [];
  let j = 0;
  for (const e of kept) {
    while (j < fresh.length && walkOrder(fresh[j][0], e[0]) < 0) out.push(fresh[j++]);
    out.push(e);
  }
  while (j < fresh.length) out.push(fresh[j++]);
  return out;
}

/** A program's file capabilities are part of what a copy takes (see copy.ts), so of its record too. */
function capabilityOf(abs: string, st: Stats): string {
  const cap = st.mode & 0o111 ? fileCapability(abs) : undefined;
  return cap ? ` cap=${cap.toString('hex')}` : '';
}

/** A file's part of its record: digest and capabilities, remembered by the index while the file is unchanged. */
async function fileContent(abs: string, st: Stats, w: Walk): Promise<string> {
  const index = w.opts.index;
  const key = index ? path.relative(w.root, abs) : '';
  const known = index?.get(key, st);
  if (known) return known;
  let digest: string;
  if (st.size < SMALL) {
    const data = readWhole(abs, st.size);
    digest = crypto.createHash('sha256').update(data).digest('hex');
    if (index) contextReads.keep(abs, st, data);
  } else digest = await largeFileDigest(abs, w.opts.signal);
  const content = `${digest}${capabilityOf(abs, st)}`;
  index?.set(key, st, content, w.readAt);
  return content;
}

/** sha256 over the selected path (a wildcard pattern expands to all matches) inside root. */
export async function contentHash(root: string, src: string, opts: HashOptions = {}): Promise<string> {
  const calledAt = Date.now();
  // an earlier time only makes the next build look at more entries than changed since
  const startedAt = Math.min(calledAt, opts.readAt ?? calledAt);
  const ignore = ignoredIn(root);
  const { memo } = opts;
  const memoKey = memo ? ContextMemo.key([src, !!opts.followSymlink, !!opts.allowWildcard, !!opts.ignoreOwner, !!opts.context, ignore?.text ?? '', opts.exclude?.text ?? '']) : '';
  if (memo && opts.useMemo) {
    memo.prefetchRecords(memoKey);
    const sum = await memo.lookup(memoKey, ignore?.wholeDirs());
    if (sum) {
      opts.onMemo?.();
      return sum;
    }
  }
  const h = crypto.createHash('sha256');
  // the digest index (a few MB for a big context) is read only when a walk needs it
  let walkOpts: WalkOptions = { ...opts, index: typeof opts.index === 'function' ? undefined : opts.index };
  // only what a .dockerignore lets through enters the key (a dir may still hold re-included files)
  if (ignore) walkOpts = { ...walkOpts, skip: (rel) => ignore.prunes(rel) || (ignore.matches(rel) && !ignore.hasExclusions) };
  const isIgnored = (p: string) => ignore !== undefined && p.replace(/^\/+/, '') !== '' && ignore.matches(p);
  let paths = opts.allowWildcard && hasMeta(src) ? await expandGlob(root, src) : [src];
  if (ignore) {
    if (paths.length === 1 && paths[0] === src && !hasMeta(src) && isIgnored(src)) {
      throw new NotFoundError(`${JSON.stringify(src)}: not found: excluded by .dockerignore`);
    }
    paths = paths.filter((p) => !isIgnored(p));
  }
  // a path reached through a symlink may lie in an ignored dir, whose changes the memo does not see
  let direct = true;
  const single = memo && paths.length === 1 && !opts.exclude;
  let entries: Records['entries'] | undefined;
  let top = '';
  for (const p of paths) {
    const abs = opts.context ? await resolveInContext(root, p, opts.followSymlink ?? true) : await resolveInRoot(root, p, opts.followSymlink ?? true);
    if (path.resolve(abs) !== path.resolve(path.join(root, p))) direct = false;
    const w: Walk = { h, opts: walkOpts, root, readAt: startedAt, visited: 0, base: p };
    if (single && direct) {
      const known = await fromRecords(abs, p, memoKey, { ...w, opts: { ...walkOpts, index: undefined } }, ignore?.wholeDirs());
      if (known) {
        memo.remember(memoKey, known.sum, known.at, Date.now() - calledAt);
        if (known.records.sum !== (await memo.recordsOf(memoKey))?.sum) memo.keepRecords(memoKey, known.records);
        return known.sum;
      }
      entries = [];
      top = abs;
    }
    if (!walkOpts.index && typeof opts.index === 'function') walkOpts = { ...walkOpts, index: await opts.index() };
    await hashTree(abs, p, { ...w, opts: walkOpts, entries });
  }
  const sum = `sha256:${h.digest('hex')}`;
  if (memo && direct) {
    memo.remember(memoKey, sum, startedAt, Date.now() - calledAt);
    if (entries && entries.length >= KEEP_RECORDS_FROM) {
      memo.keepRecords(memoKey, { v: 2, sum, top, entries });
    }
  }
  return sum;
}
