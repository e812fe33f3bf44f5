// --cache-to: write the records of this build (and, with cache-mounts=true, the
// contents of its cache mounts) as a cache manifest (an OCI image manifest
// whose config is application/vnd.buildkit.cacheconfig.v0) to a directory or a
// registry; type=inline puts the records into the image config instead.
import { createHash } from 'node:crypto';
import type { Descriptor, Graph, ImageRecord } from '@pipekit/wire';
import { packLayer, type RegistryClient, type Store } from '@pipekit/cas-store';
import { buildCacheConfig, CACHE_CONFIG_MEDIA, INLINE_KEY, OCI_MANIFEST, TAR_MEDIA, type CacheConfig } from './config.ts';
import { collectRecords, exists, graphCacheMounts } from './collect.ts';
import { localSink, registrySink } from './sink.ts';
import type { CacheSpec } from './spec.ts';

export type ExportSummary = { records: number; layers: number; cacheMounts: number; manifest: string };

export async function exportCache(store: Store, spec: CacheSpec, opts: { keys: string[]; images: ImageRecord[]; graph: Graph; client: () => RegistryClient }): Promise<ExportSummary> {
  const chains = opts.images.map((i) => i.layers.map((l) => l.diffID));
  const records = await collectRecords(store, opts.keys, spec.mode, chains);
  const { config, blobs } = buildCacheConfig(records);
  const sink = spec.type === 'local' ? localSink(spec.dir as string, spec.tag) : registrySink(spec.ref as string, opts.client());
  const sources = new Map<string, string[]>();
  for (const r of records) for (const chain of r.outputs) for (const l of chain) if (l.sources) sources.set(l.blob.digest, l.sources);
  for (const b of blobs) await sink.putBlob(b, () => store.blobs.open(b.digest), sources.get(b.digest));

  const layers: Descriptor[] = [...blobs];
  if (spec.cacheMounts) {
    config.cacheMounts = [];
    for (const m of graphCacheMounts(store, opts.graph)) {
      if (!(await exists(m.dir))) continue;
      // packed through the blob store (verified digest), dropped again afterwards
      const { digest, size } = await store.blobs.put(packLayer(m.dir));
      try {
        const desc = { mediaType: TAR_MEDIA, digest, size, annotations: { 'dev.pipekit.cachemount.id': m.id } };
        await sink.putBlob(desc, () => store.blobs.open(digest));
        config.cacheMounts.push({ id: m.id, blob: digest, size, mediaType: TAR_MEDIA });
        layers.push(desc);
      } finally {
        await store.blobs.delete(digest);
      }
    }
  }
  const configBytes = new TextEncoder().encode(JSON.stringify(config));
  const configDesc = { mediaType: CACHE_CONFIG_MEDIA, digest: sha256(configBytes), size: configBytes.length };
  await sink.putBlob(configDesc, () => once(configBytes));
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDesc, layers };
  const digest = await sink.putManifest(new TextEncoder().encode(JSON.stringify(manifest, null, 2)));
  return { records: records.length, layers: blobs.length, cacheMounts: config.cacheMounts?.length ?? 0, manifest: digest };
}

/** type=inline: the records leading to each image go into its config under moby.buildkit.cache.v0. */
export async function addInlineCache(store: Store, keys: string[], images: ImageRecord[]): Promise<void> {
  for (const img of images) {
    const records = await collectRecords(store, keys, 'min', [img.layers.map((l) => l.diffID)]);
    const { config } = buildCacheConfig(records);
    const doc: CacheConfig = config;
    (img.config as unknown as Record<string, unknown>)[INLINE_KEY] = Buffer.from(JSON.stringify(doc)).toString('base64');
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
