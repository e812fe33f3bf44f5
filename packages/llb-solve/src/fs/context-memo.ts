// Remembered checksums of what COPYs and bind mounts read from a local build
// context. When nothing in the context changed since a checksum was taken (one
// `find -newerct`, see changed-since.ts), the checksum stands in for the walk:
// an unchanged 20,000-file context then costs no lstat per file and the digest
// index is not even loaded. Any change anywhere in the context (outside
// .dockerignored dirs) makes every older checksum of it unusable.
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, rmSync } from 'node:fs';
import path from 'node:path';
import { readJsonMaybe, writeJsonAtomic, type Store } from '@pipekit/cas-store';
import { changesSince, type Changes, type Prune } from './changed-since.ts';
import { contextFile } from './digest-index.ts';
import { recordHash } from './record-hash.ts';

type Entry = [sum: string, at: number, walkMs: number];

/**
 * The records a big walk hashed, in order, each by its path below the walked
 * source ('' for the source itself), a dir's with its inode: the next build
 * re-reads only entries changed since and hashes the list again (see
 * contenthash.ts). `hashes`, when there, holds each entry's recordHash, so
 * that the next build need not hash again the records it did not re-read.
 */
export type Records = { v: 2; sum: string; top: string; entries: ([sub: string, record: string] | [sub: string, record: string, ino: number])[]; hashes?: string[] };
type Saved = { v: 1; dir: string; findMs?: number; sums: Record<string, Entry> };

/**
 * A change this long before a walk began counts as after it: file times come
 * from a coarse clock that lags the one read here by up to a tick, and a
 * slewing clock may have been adjusted a little.
 */
export const MARGIN_MS = 1000;
/** checksums kept per context (each COPY source and bind mount of it has one) */
const KEEP = 64;
/** what asking find is assumed to cost before it was first timed on this context */
const FIRST_FIND_MS = 20;

const open = new Map<string, Promise<ContextMemo>>();
const memoFile = (store: Store, dir: string) => contextFile(store, dir, '.sums.json');

export class ContextMemo {
  private readonly file: string;
  private readonly dir: string;
  private readonly sums: Map<string, Entry>;
  private changes?: Promise<{ since: number; startedAt: number; found?: Changes }>;
  private records = new Map<string, Records>();
  /** records files being read, by key: read once, while find runs (see prefetchRecords) */
  private reading = new Map<string, Promise<Records | undefined>>();
  /** how long find took over this context last time */
  private findMs: number;
  private dirty = false;

  private constructor(file: string, dir: string, sums: Map<string, Entry>, findMs: number) {
    this.file = file;
    this.dir = dir;
    this.sums = sums;
    this.findMs = findMs;
  }

  /** The memo of context `dir` kept in `store`; one instance per process, shared by every reader of the dir. */
  static open(store: Store, dir: string): Promise<ContextMemo> {
    const file = memoFile(store, dir);
    let p = open.get(file);
    if (!p) {
      p = ContextMemo.load(store, dir);
      open.set(file, p);
    }
    return p;
  }

  /** A fresh instance read from the store (empty when there is none or it is unreadable); `findMs` overrides the remembered cost of find. */
  static async load(store: Store, dir: string, findMs?: number): Promise<ContextMemo> {
    const abs = path.resolve(dir);
    const file = memoFile(store, dir);
    const saved = await readJsonMaybe<Saved>(file);
    const valid = saved?.v === 1 && saved.dir === abs;
    const sums = valid ? new Map(Object.entries(saved.sums)) : new Map<string, Entry>();
    return new ContextMemo(file, abs, sums, findMs ?? ((valid && saved.findMs) || FIRST_FIND_MS));
  }

  /** The key of one checksum: everything that decides what it covers besides the files. */
  static key(parts: unknown[]): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
  }

  /**
   * The checksum remembered under `key` if nothing in the context changed since
   * it was taken. `prune` lists ignored dirs whose changes do not count: the
   * same for every key of one build (it comes from the context's .dockerignore).
   * Not asked when walking the source took less than asking find did (one file
   * of a big context): the caller walks it again.
   */
  async lookup(key: string, prune?: Prune): Promise<string | undefined> {
    const e = this.sums.get(key);
    // a clock that went back could hide changes made since
    if (!e || Date.now() < e[1]) return undefined;
    if (!this.changes && e[2] < this.findMs) return undefined;
    const latest = (await this.findChanges(prune)).found?.latest;
    return latest !== undefined && latest < e[1] - MARGIN_MS ? e[0] : undefined;
  }

  /** When the checksum under `key` was taken (ms), if one is remembered. */
  takenAt(key: string): number | undefined {
    return this.sums.get(key)?.[1];
  }

  /**
   * Entries of the context (by context-relative path) changed since `ms`, and
   * when the find that says so began: undefined when find cannot tell, or ran
   * from a later time.
   */
  async changedSince(ms: number, prune?: Prune): Promise<{ entries: Map<string, number>; startedAt: number } | undefined> {
    const c = await this.findChanges(prune);
    if (!c.found || c.since > ms) return undefined;
    const entries = new Map([...c.found.entries].filter(([, t]) => t >= ms));
    return { entries, startedAt: c.startedAt };
  }

  // one find per build answers every key: changes since the oldest checksum, with their times
  private findChanges(prune?: Prune): Promise<{ since: number; startedAt: number; found?: Changes }> {
    this.changes ??= (async () => {
      const since = Math.min(...[...this.sums.values()].map((s) => s[1])) - MARGIN_MS;
      const startedAt = Date.now();
      const found = await changesSince(this.dir, since, prune);
      this.findMs = Math.max(1, Date.now() - startedAt);
      this.dirty = true;
      return { since, startedAt, found };
    })();
    return this.changes;
  }

  /** The records of the walk that took the checksum under `key`, if kept. */
  async recordsOf(key: string): Promise<Records | undefined> {
    const sum = this.sums.get(key)?.[0];
    let r = this.records.get(key);
    if (!r) {
      let reading = this.reading.get(key);
      if (!reading) this.reading.set(key, (reading = readJsonMaybe<Records>(this.recordsFile(key))));
      r = await reading;
    }
    return r?.v === 2 && r.sum === sum ? r : undefined;
  }

  /** Whether records may be kept for `key` (a stat; recordsOf says whether they are usable). */
  hasRecords(key: string): boolean {
    return this.records.has(key) || existsSync(this.recordsFile(key));
  }

  /**
   * Read the records under `key`, when there are any, at the event loop's next
   * turn: a big context's records take ~20 ms to parse, which can then happen
   * while find (a process of its own, started meanwhile) looks for changes,
   * before anyone knows whether they are needed.
   */
  prefetchRecords(key: string): void {
    if (this.reading.has(key) || !this.hasRecords(key) || this.records.has(key)) return;
    this.reading.set(key, new Promise((resolve) => setImmediate(() => resolve(readJsonMaybe<Records>(this.recordsFile(key))))));
  }

  /** Keep the records behind the checksum remembered under `key` (written with the memo). */
  keepRecords(key: string, r: Records): void {
    this.records.set(key, r);
    this.dirty = true;
  }

  private recordsFile(key: string): string {
    return this.file.replace(/\.sums\.json$/, `.rec-${key}.json`);
  }

  /** Remember `sum`, taken by a walk that began at `at` (ms) and took `walkMs`. */
  remember(key: string, sum: string, at: number, walkMs: number): void {
    const e = this.sums.get(key);
    if (e && e[0] === sum && e[1] >= at) return;
    this.sums.set(key, [sum, at, walkMs]);
    this.dirty = true;
    if (this.sums.size > KEEP) {
      const oldest = [...this.sums].sort((a, b) => a[1][1] - b[1][1])[0][0];
      this.sums.delete(oldest);
      this.records.delete(oldest);
      rmSync(this.recordsFile(oldest), { force: true });
    }
  }

  /** Write back every memo this process changed (once, when the build ends). */
  static async saveAll(): Promise<void> {
    for (const p of open.values()) await (await p.catch(() => undefined))?.save();
  }

  /** A failure to write only costs a walk next time. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await writeJsonAtomic(this.file, { v: 1, dir: this.dir, findMs: this.findMs, sums: Object.fromEntries(this.sums) } satisfies Saved).catch(() => {});
    for (const [key, r] of this.records) {
      if (this.sums.get(key)?.[0] !== r.sum) continue;
      // the build's explain notes hashed (nearly) all of them already: looked up, not hashed again
      await writeJsonAtomic(this.recordsFile(key), { ...r, hashes: r.entries.map((e) => recordHash(e[1])) } satisfies Records).catch(() => {});
    }
    this.records.clear();
    this.reading.clear();
    this.dirty = false;
  }
}
