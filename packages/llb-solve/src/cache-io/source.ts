// --cache-from: open a cache (an OCI layout directory, a registry cache
// manifest, or an image whose config carries inline cache) and say how to
// fetch its blobs into the store. Only the manifest and config are read here;
// layers are fetched when a record is used.
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { NotFoundError, PipekitError, type Descriptor, type Platform } from '@pipekit/wire';
import { fetchBlobInto, manifestKind, parseReference, type RegistryClient, type Store } from '@pipekit/cas-store';
import { CACHE_CONFIG_MEDIA, INLINE_KEY, type CacheConfig } from './config.ts';
import type { CacheSpec } from './spec.ts';

export type CacheSource = {
  name: string;
  config: CacheConfig;
  /** inline cache: a layer's blob is the image's own layer with that diff id */
  byDiffID?: Map<string, Descriptor>;
  fetch(desc: Descriptor): Promise<void>;
};

type Manifest = { mediaType?: string; config: Descriptor; layers: Descriptor[] };

function parseConfig(bytes: Uint8Array | string, name: string): CacheConfig {
  try {
    const doc = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes)) as CacheConfig;
    if (!Array.isArray(doc.layers) || !Array.isArray(doc.records)) throw new Error('no layers/records');
    return doc;
  } catch (err) {
    throw new PipekitError(`cache ${name}: cache config is not readable (${(err as Error).message})`);
  }
}

export async function openLocalCache(store: Store, spec: CacheSpec): Promise<CacheSource> {
  const dir = spec.dir as string;
  const blob = (d: string) => path.join(dir, 'blobs', 'sha256', d.replace(/^sha256:/, ''));
  const index = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8').catch((err) => {
    throw new NotFoundError(`cache ${dir}: not an OCI layout (cannot read index.json: ${(err as NodeJS.ErrnoException).code ?? err})`);
  })) as { manifests?: (Descriptor & { annotations?: Record<string, string> })[] };
  const entries = index.manifests ?? [];
  const entry = entries.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === spec.tag) ?? (entries.length === 1 ? entries[0] : undefined);
  if (!entry) throw new NotFoundError(`cache ${dir}: no cache tagged ${JSON.stringify(spec.tag)}`);
  const manifest = JSON.parse(await fs.readFile(blob(entry.digest), 'utf8')) as Manifest;
  if (manifest.config?.mediaType !== CACHE_CONFIG_MEDIA) throw new PipekitError(`cache ${dir}: ${entry.digest} is not a cache manifest (config is ${manifest.config?.mediaType})`);
  const config = parseConfig(await fs.readFile(blob(manifest.config.digest)), dir);
  return {
    name: dir,
    config,
    async fetch(desc) {
      if (await store.blobs.has(desc.digest)) return;
      await store.blobs.put(createReadStream(blob(desc.digest)), { digest: desc.digest, size: desc.size });
    },
  };
}

export async function openRegistryCache(store: Store, spec: CacheSpec, client: RegistryClient, platform: Platform): Promise<CacheSource> {
  const ref = parseReference(spec.ref as string);
  const name = ref.toString();
  let got = await client.getManifest(ref);
  if (manifestKind(got.mediaType) === 'index') {
    const res = await client.resolveImage(ref, platform);
    got = { bytes: res.manifest, mediaType: res.mediaType, digest: res.manifestDigest };
  }
  const manifest = JSON.parse(new TextDecoder().decode(got.bytes)) as Manifest;
  const fetch = (desc: Descriptor) => fetchBlobInto(store, client, ref, desc);
  await fetch(manifest.config);
  const configBytes = await store.blobs.read(manifest.config.digest);
  // the config blob of a cache is not needed once parsed; an image's config is (kept)
  if (manifest.config.mediaType === CACHE_CONFIG_MEDIA) {
    await store.blobs.delete(manifest.config.digest);
    return { name, config: parseConfig(configBytes, name), fetch };
  }
  const image = JSON.parse(configBytes.toString('utf8')) as Record<string, unknown> & { rootfs?: { diff_ids?: string[] } };
  const inline = image[INLINE_KEY];
  if (typeof inline !== 'string') throw new NotFoundError(`cache ${name}: neither a cache manifest nor an image with inline cache (${INLINE_KEY})`);
  const byDiffID = new Map<string, Descriptor>();
  (image.rootfs?.diff_ids ?? []).forEach((d, i) => manifest.layers[i] && byDiffID.set(d, manifest.layers[i]));
  return { name, config: parseConfig(Buffer.from(inline, 'base64').toString('utf8'), name), byDiffID, fetch };
}
