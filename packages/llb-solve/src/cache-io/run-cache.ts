// llb-solve's side of cache import/export and store bookkeeping around one
// solve: an in-use lease for the build, --cache-from sources opened before,
// --cache-to written after (inline cache into the image records), and the GC
// policy run last.
import process from 'node:process';
import { hostPlatform, type Graph, type ImageRecord } from '@pipekit/wire';
import { Lease, RegistryClient, loadGcConfig, type Store } from '@pipekit/cas-store';
import { parseCacheSpec, type CacheSpec } from './spec.ts';
import { openLocalCache, openRegistryCache, type CacheSource } from './source.ts';
import { CacheImporter, setCacheImporter } from './importer.ts';
import { addInlineCache, exportCache } from './export.ts';
import { graphCacheMounts } from './collect.ts';
import { gcAfterBuild } from '../gc-after-build.ts';

export type CacheOptions = {
  cacheFrom?: string[];
  cacheTo?: string[];
  insecureRegistries?: string[];
  registryCAs?: string[];
  gcConfig?: string;
  warn: (msg: string) => void;
};

export type BuildCache = {
  /** max-parallelism from the store's buildkitd.toml, if set */
  maxParallelism?: number;
  /** after solving, before the image records are written */
  finish(images: ImageRecord[]): Promise<void>;
  /** always, last */
  close(ok: boolean): Promise<void>;
};

export async function beginBuildCache(store: Store, graph: Graph, opts: CacheOptions): Promise<BuildCache> {
  if (opts.registryCAs?.length) process.env.CAS_STORE_REGISTRY_CA = opts.registryCAs.join(',');
  const to: CacheSpec[] = (opts.cacheTo ?? []).map((s) => parseCacheSpec(s, 'to'));
  const from: CacheSpec[] = (opts.cacheFrom ?? []).map((s) => parseCacheSpec(s, 'from'));
  let client: RegistryClient | undefined;
  const getClient = () => (client ??= new RegistryClient({ insecureRegistries: opts.insecureRegistries, registryCAs: opts.registryCAs }));
  const lease = await Lease.begin(store);
  // cache mounts this build's RUN steps use are in use from the start
  await lease.mark('cachemount', graphCacheMounts(store, graph).map((m) => m.key));
  const sources: CacheSource[] = [];
  for (const spec of from) {
    try {
      sources.push(spec.type === 'local' ? await openLocalCache(store, spec) : await openRegistryCache(store, spec, getClient(), hostPlatform()));
    } catch (err) {
      // an unreadable cache to import is a warning: the build can go on without it
      opts.warn(`importing cache ${spec.dir ?? spec.ref}: ${(err as Error).message}`);
    }
  }
  if (sources.length) {
    const importer = new CacheImporter(store, sources, opts.warn);
    setCacheImporter(store, importer);
    const restored = await importer.restoreCacheMounts();
    if (restored.length) opts.warn(`restored cache mounts: ${restored.join(', ')}`);
  }
  const cfg = await loadGcConfig(store.dir, opts.gcConfig).catch(() => undefined);
  return {
    maxParallelism: cfg?.maxParallelism,
    async finish(images) {
      const keys = lease.marked('key');
      for (const spec of to) {
        try {
          if (spec.type === 'inline') await addInlineCache(store, keys, images);
          else {
            const res = await exportCache(store, spec, { keys, images, graph, client: getClient });
            opts.warn(`exported cache to ${spec.dir ?? spec.ref}: ${res.records} records, ${res.layers} layers${spec.cacheMounts ? `, ${res.cacheMounts} cache mounts` : ''} (${res.manifest})`);
          }
        } catch (err) {
          if (!spec.ignoreError) throw err;
          opts.warn(`exporting cache to ${spec.dir ?? spec.ref} failed (ignored): ${(err as Error).message}`);
        }
      }
    },
    async close(ok) {
      setCacheImporter(store, undefined);
      try {
        // under this build's own lease: what it used and made, which the exporter
        // reading its records has yet to read, is in use for this GC too
        if (ok) await gcAfterBuild(store, { configFile: opts.gcConfig, warn: opts.warn });
      } finally {
        await lease.end(store);
      }
    },
  };
}
