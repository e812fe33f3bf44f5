// Layers by diff id: which blob holds the tar and which snapshot holds the
// unpacked files. Either may be missing (a pulled layer not yet unpacked).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Layer } from '@pipekit/wire';
import { createFileExclusive, readJsonMaybe, writeJsonAtomic } from './atomic.ts';

export type LayerEntry = Layer & {
  snapshot: string | null;
  /** bytes of the unpacked snapshot, once measured (du) */
  snapshotBytes?: number;
  /** where the blob was pulled from (registry/repository), for cross-repository mounts on push */
  sources?: string[];
};

export class LayerIndex {
  readonly root: string;
  constructor(storeDir: string) {
    this.root = path.join(storeDir, 'layers', 'by-diffid');
  }

  private file(diffID: string): string {
    return path.join(this.root, `${diffID.replace(/^sha256:/, '')}.json`);
  }

  get(diffID: string): Promise<LayerEntry | undefined> {
    return readJsonMaybe<LayerEntry>(this.file(diffID));
  }

  put(entry: LayerEntry): Promise<void> {
    return writeJsonAtomic(this.file(entry.diffID), entry);
  }

  /**
   * Record `entry` unless a usable entry exists: two builds committing the same
   * layer at once agree on one snapshot. Returns the entry that is in the index.
   */
  async putIfAbsent(entry: LayerEntry, usable: (e: LayerEntry) => Promise<boolean>): Promise<LayerEntry> {
    if (await createFileExclusive(this.file(entry.diffID), `${JSON.stringify(entry)}\n`)) return entry;
    const existing = await this.get(entry.diffID);
    if (existing && (await usable(existing))) return existing;
    await this.put(entry);
    return entry;
  }

  async delete(diffID: string): Promise<void> {
    await fs.rm(this.file(diffID), { force: true });
  }

  async list(): Promise<string[]> {
    const names = await fs.readdir(this.root).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).map((n) => `sha256:${n.slice(0, 64)}`);
  }
}
