// The solver's cache: cache key -> the layers of each output. A record only
// counts as a hit if every layer it names is still in the store.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { readJsonMaybe, writeJsonAtomic } from './atomic.ts';

export type CacheRecord = {
  key: string;
  /** one entry per op output: the diff ids of its layer chain */
  outputs: { layers: string[] }[];
  description: string;
  createdAt: string;
  lastUsedAt: string;
  usageCount: number;
};

export class CacheIndex {
  readonly root: string;
  constructor(storeDir: string) {
    this.root = path.join(storeDir, 'cache');
  }

  private file(key: string): string {
    return path.join(this.root, `${key.replace(/^sha256:/, '')}.json`);
  }

  /** Whether a record for `key` exists right now (a hint: read it with get()). */
  has(key: string): boolean {
    return existsSync(this.file(key));
  }

  get(key: string): Promise<CacheRecord | undefined> {
    return readJsonMaybe<CacheRecord>(this.file(key));
  }

  async put(key: string, outputs: CacheRecord['outputs'], description: string): Promise<void> {
    const now = new Date().toISOString();
    await writeJsonAtomic(this.file(key), { key, outputs, description, createdAt: now, lastUsedAt: now, usageCount: 1 });
  }

  async touch(rec: CacheRecord): Promise<void> {
    await writeJsonAtomic(this.file(rec.key), { ...rec, lastUsedAt: new Date().toISOString(), usageCount: rec.usageCount + 1 });
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
  }

  /** Store a record as it is (an imported one keeps its times). */
  async putRecord(rec: CacheRecord): Promise<void> {
    await writeJsonAtomic(this.file(rec.key), rec);
  }

  async list(): Promise<string[]> {
    const names = await fs.readdir(this.root).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).map((n) => `sha256:${n.slice(0, 64)}`);
  }
}
