// Small context files read while hashing, kept for the copy that usually
// follows in the same process: a cold COPY of many small files then opens each
// one once, not twice. Bounded; an entry is used once and only while the file
// is unchanged (size, mtime, ctime, inode).
//
// The hash walk's lstat of each entry is kept too, so the copy does not ask
// again: the copy then writes what the cache key was computed from (as BuildKit
// copies from the context it transferred, not from the live directory).
import type { Stats } from 'node:fs';

type Kept = { size: number; mtimeMs: number; ctimeMs: number; ino: number; data: Buffer };

const MAX_BYTES = 64 * 1024 * 1024;
const MAX_STATS = 200_000;

/** What a checksum from records re-read: every entry below a dir changed since `since` (ms). */
export type NotedChanges = { since: number; stats: Map<string, Stats> };

export class ReadCache {
  private kept = new Map<string, Kept>();
  private bytes = 0;
  private stats = new Map<string, Stats>();
  /** some stats were not kept */
  private capped = false;

  keepStat(abs: string, st: Stats): void {
    if (this.stats.size < MAX_STATS) this.stats.set(abs, st);
    else this.capped = true;
  }

  /** Changes noted by a checksum taken from records (no walk), by the dir it covers. */
  private noted = new Map<string, NotedChanges>();

  noteChanges(dir: string, changes: NotedChanges): void {
    this.noted.set(dir, changes);
  }

  /**
   * The entries at or below `dir` whose ctime is `since` or later, with their
   * stats: from the hash walk's stats, or from the changes a checksum from
   * records noted when they go back as far.
   */
  changedUnder(dir: string, since: number): Map<string, Stats> | undefined {
    // some runtimes (Deno) give ctimes in whole seconds: such a one may be up to a second later
    const changed = (ms: number) => ms >= since || (ms % 1000 === 0 && ms + 1000 > since);
    const pick = (m: Map<string, Stats>) => new Map([...m].filter(([, st]) => changed(st.ctimeMs)));
    const all = this.statsUnder(dir);
    if (all) return pick(all);
    const n = this.noted.get(dir);
    return n && n.since <= since ? pick(n.stats) : undefined;
  }

  /**
   * The kept stats of `dir` and every entry below it, when the walk kept them
   * all: undefined when `dir` was not walked or the bound was reached.
   */
  statsUnder(dir: string): Map<string, Stats> | undefined {
    if (this.capped || !this.stats.has(dir)) return undefined;
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const out = new Map<string, Stats>();
    for (const [abs, st] of this.stats) if (abs === dir || abs.startsWith(prefix)) out.set(abs, st);
    return out;
  }

  /** The stats the hash walk saw of `abs`, once. */
  takeStat(abs: string): Stats | undefined {
    const st = this.stats.get(abs);
    if (st) this.stats.delete(abs);
    return st;
  }

  keep(abs: string, st: Stats, data: Buffer): void {
    if (this.kept.has(abs) || this.bytes + data.length > MAX_BYTES) return;
    this.kept.set(abs, { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, data });
    this.bytes += data.length;
  }

  /** The bytes read earlier if the file is unchanged since; the entry is dropped either way. */
  take(abs: string, st: Stats): Buffer | undefined {
    const k = this.kept.get(abs);
    if (!k) return undefined;
    this.kept.delete(abs);
    this.bytes -= k.data.length;
    const same = k.size === st.size && k.mtimeMs === st.mtimeMs && k.ctimeMs === st.ctimeMs && k.ino === st.ino && k.data.length === st.size;
    return same ? k.data : undefined;
  }
}

/** The one cache of context reads in this process. */
export const contextReads = new ReadCache();
