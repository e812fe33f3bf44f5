// Remembered file digests of a build context, like git's index: a file whose
// size, mtime, ctime, inode and device are unchanged since it was hashed keeps
// its digest, so an unchanged context costs one lstat per file, not one read.
// An entry is only remembered once the file is older than SETTLE_MS when read:
// a write in the same timestamp tick as our read could otherwise go unseen.
// What is remembered is the file's part of its checksum record: the digest and
// any file capabilities (setting those changes the ctime too), so an unchanged
// program is not asked for them again.
import { createHash } from 'node:crypto';
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { readJsonMaybe, writeJsonAtomic, type Store } from '@pipekit/cas-store';

type Row = [size: number, mtimeMs: number, ctimeMs: number, ino: number, dev: number, content: string];
// v2: the content field holds the capabilities too (v1 held the digest alone)
type Saved = { v: 2; dir: string; files: Record<string, Row> };

const SETTLE_MS = 1000;
/** rows kept for files this build did not look at (other COPYs of the same context) */
const KEEP_UNSEEN = 100000;

const open = new Map<string, Promise<DigestIndex>>();

/** Where the store keeps what it remembers of context `dir`: contexts/<hash of its path><suffix>. */
export function contextFile(store: Store, dir: string, suffix: string): string {
  return path.join(store.dir, 'contexts', `${createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 32)}${suffix}`);
}

export class DigestIndex {
  private rows: Map<string, Row>;
  private seen = new Set<string>();
  private dirty = false;
  private readonly file: string;
  private readonly dir: string;

  private constructor(file: string, dir: string, rows: Map<string, Row>) {
    this.file = file;
    this.dir = dir;
    this.rows = rows;
  }

  /**
   * The index of context `dir` kept in `store` (empty when there is none yet or
   * it is unreadable); one instance per process, shared by every reader of the dir.
   */
  static open(store: Store, dir: string): Promise<DigestIndex> {
    const abs = path.resolve(dir);
    const file = contextFile(store, abs, '.json');
    let p = open.get(file);
    if (!p) {
      p = readJsonMaybe<Saved>(file).then((saved) => {
        const rows = saved?.v === 2 && saved.dir === abs ? new Map(Object.entries(saved.files)) : new Map<string, Row>();
        return new DigestIndex(file, abs, rows);
      });
      open.set(file, p);
    }
    return p;
  }

  /** What was remembered of `rel` if the file is unchanged since it was hashed. */
  get(rel: string, st: Stats): string | undefined {
    const r = this.rows.get(rel);
    if (!r || r[0] !== st.size || r[1] !== st.mtimeMs || r[2] !== st.ctimeMs || r[3] !== st.ino || r[4] !== st.dev) return undefined;
    this.seen.add(rel);
    return r[5];
  }

  /** Remember what was just read from the file `st` describes. */
  set(rel: string, st: Stats, content: string, readAt: number): void {
    this.seen.add(rel);
    if (Math.max(st.mtimeMs, st.ctimeMs) > readAt - SETTLE_MS) {
      if (this.rows.delete(rel)) this.dirty = true;
      return;
    }
    this.rows.set(rel, [st.size, st.mtimeMs, st.ctimeMs, st.ino, st.dev, content]);
    this.dirty = true;
  }

  /**
   * Write back every index this process opened that changed: once, when the
   * build ends (each is a few MB for a big context, and several COPYs of one
   * context would otherwise rewrite it once each).
   */
  static async saveAll(): Promise<void> {
    for (const p of open.values()) await (await p.catch(() => undefined))?.save();
  }

  /** Write the index back if it changed; a failure only costs re-hashing next time. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    let files = [...this.rows];
    if (files.length > this.seen.size + KEEP_UNSEEN) files = files.filter(([rel]) => this.seen.has(rel));
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await writeJsonAtomic(this.file, { v: 2, dir: this.dir, files: Object.fromEntries(files) } satisfies Saved).catch(() => {});
    this.dirty = false;
  }
}
