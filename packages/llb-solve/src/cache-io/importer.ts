// Consulting imported caches: when a step's key has no local record, a record
// with that key in a --cache-from cache is made local — its layers fetched
// (verified) and unpacked — and the step is a cache hit. Cache mounts carried
// by a cache (cache-mounts=true) are restored before the build, unless the
// store has them already.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ensureSnapshot, markInUse, unpackLayer, usableLayer, type LayerEntry, type Store } from '@pipekit/cas-store';
import type { Descriptor } from '@pipekit/wire';
import { chainOf, type CacheConfigRecord } from './config.ts';
import { cacheMountKey, exists } from './collect.ts';
import type { CacheSource } from './source.ts';

export class CacheImporter {
  private readonly store: Store;
  private readonly sources: CacheSource[];
  private readonly warn: (msg: string) => void;
  private readonly pending = new Map<string, Promise<boolean>>();

  constructor(store: Store, sources: CacheSource[], warn: (msg: string) => void) {
    this.store = store;
    this.sources = sources;
    this.warn = warn;
  }

  /** Make the record for `key` local if an imported cache has it; true when it did. */
  lookup(key: string): Promise<boolean> {
    let p = this.pending.get(key);
    if (!p) {
      p = this.load(key);
      this.pending.set(key, p);
    }
    return p;
  }

  private async load(key: string): Promise<boolean> {
    for (const src of this.sources) {
      const rec = src.config.records.find((r) => r.digest === key);
      if (!rec) continue;
      try {
        await this.materialize(src, rec);
        return true;
      } catch (err) {
        this.warn(`cache ${src.name}: record ${key.slice(0, 19)} not usable: ${(err as Error).message}`);
      }
    }
    return false;
  }

  private async materialize(src: CacheSource, rec: CacheConfigRecord): Promise<void> {
    const chains: LayerEntry[][] = [];
    for (const o of rec.outputs) {
      const chain: LayerEntry[] = [];
      for (const node of o.layer < 0 ? [] : chainOf(src.config, o.layer)) {
        const desc: Descriptor = src.byDiffID?.get(node.diffID) ?? node.desc;
        chain.push(await this.ensureLayer(src, desc, node.diffID));
      }
      chains.push(chain);
    }
    const now = new Date().toISOString();
    await markInUse(this.store, 'key', [rec.digest]);
    await this.store.cache.putRecord({
      key: rec.digest,
      outputs: chains.map((c) => ({ layers: c.map((l) => l.diffID) })),
      description: rec.description ?? `imported from ${src.name}`,
      createdAt: rec.createdAt ?? now,
      lastUsedAt: now,
      usageCount: 0,
    });
  }

  private async ensureLayer(src: CacheSource, desc: Descriptor, diffID: string): Promise<LayerEntry> {
    await markInUse(this.store, 'layer', [diffID]);
    const known = await this.store.layers.get(diffID);
    if (known && (await usableLayer(this.store, known))) return known;
    await src.fetch(desc);
    return ensureSnapshot(this.store, desc, diffID);
  }

  /** Restore the cache mounts the caches carry into the store; returns the ids restored. */
  async restoreCacheMounts(): Promise<string[]> {
    const restored: string[] = [];
    const root = path.join(this.store.dir, 'cachemounts');
    for (const src of this.sources) {
      for (const m of src.config.cacheMounts ?? []) {
        const key = cacheMountKey(m.id);
        const dir = path.join(root, key);
        if (await exists(dir)) continue;
        await markInUse(this.store, 'cachemount', [key]);
        const desc = { mediaType: m.mediaType, digest: m.blob, size: m.size };
        const had = await this.store.blobs.has(desc.digest);
        await src.fetch(desc);
        const tmp = path.join(root, `.new-${randomBytes(6).toString('hex')}`);
        try {
          await fs.mkdir(tmp, { recursive: true, mode: 0o755 });
          await unpackLayer(this.store.blobs.open(desc.digest), tmp, { label: `cache mount ${m.id}` });
          await fs.writeFile(`${dir}.json`, JSON.stringify({ id: m.id, createdAt: new Date().toISOString(), importedFrom: src.name }));
          // another build may have created it meanwhile: theirs wins
          await fs.rename(tmp, dir).then(() => restored.push(m.id), () => undefined);
        } finally {
          await fs.rm(tmp, { recursive: true, force: true });
          if (!had) await this.store.blobs.delete(desc.digest);
        }
      }
    }
    return restored;
  }
}

const importers = new WeakMap<object, CacheImporter>();

export function setCacheImporter(store: object, imp: CacheImporter | undefined): void {
  if (imp) importers.set(store, imp);
  else importers.delete(store);
}

/** The solver's hook (cache.ts): make an imported record local; false when no cache has it. */
export async function importCached(store: object, key: string): Promise<boolean> {
  return (await importers.get(store)?.lookup(key)) ?? false;
}
