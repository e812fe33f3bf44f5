// Store one resolved image manifest and everything it references into a
// BlobStore, each blob verified against its descriptor's digest and size.
import { IntegrityError, NotFoundError, RemoteError, formatPlatform, isDigest, platformMatches, type Descriptor, type ImageConfig, type Platform } from '@pipekit/wire';
import type { BlobStore } from '../blobs.ts';
import { manifestKind } from './media-types.ts';

export type ImageManifest = { schemaVersion: number; mediaType?: string; config: Descriptor; layers: Descriptor[]; annotations?: Record<string, string> };
export type PulledImage = {
  manifestDigest: string;
  manifest: ImageManifest;
  config: ImageConfig;
  configDigest: string;
  layers: Descriptor[];
  /** set when the manifest was chosen from an index / manifest list */
  indexDigest?: string;
};
/** Where blob bytes come from: a registry, a layout directory... */
export type BlobFetcher = (desc: Descriptor) => Promise<AsyncIterable<Uint8Array> | Uint8Array>;

const LAYER_CONCURRENCY = 3;

export async function storeImage(opts: {
  store: BlobStore;
  name: string;
  manifest: Uint8Array;
  manifestDigest: string;
  mediaType: string;
  indexDigest?: string;
  platform: Platform;
  fetch: BlobFetcher;
}): Promise<PulledImage> {
  const { store, name } = opts;
  const manifest = parseManifest(opts.manifest, opts.mediaType, name);
  await fetchInto(store, manifest.config, opts.fetch, name);
  const config = await store.readJson<ImageConfig>(manifest.config.digest);
  // An index already matched the platform; a bare manifest is checked against its config.
  if (!opts.indexDigest && !platformMatches(opts.platform, { os: config.os, architecture: config.architecture, variant: config.variant })) {
    const got = formatPlatform({ os: config.os, architecture: config.architecture, variant: config.variant ?? '' });
    throw new NotFoundError(`image ${name} is for ${got}, not ${formatPlatform(opts.platform)}`);
  }
  const queue = [...manifest.layers];
  const worker = async () => {
    for (let layer = queue.shift(); layer; layer = queue.shift()) await fetchInto(store, layer, opts.fetch, name);
  };
  await Promise.all(Array.from({ length: Math.min(LAYER_CONCURRENCY, queue.length) }, worker));
  // Manifest last: a stored manifest means everything it names is stored too.
  await store.put(opts.manifest, { digest: opts.manifestDigest, size: opts.manifest.length });
  return { manifestDigest: opts.manifestDigest, manifest, config, configDigest: manifest.config.digest, layers: manifest.layers, indexDigest: opts.indexDigest };
}

async function fetchInto(store: BlobStore, desc: Descriptor, fetch: BlobFetcher, name: string): Promise<void> {
  if (await store.has(desc.digest)) return;
  try {
    await store.put(await fetch(desc), { digest: desc.digest, size: desc.size });
  } catch (err) {
    if (err instanceof IntegrityError) throw new IntegrityError(`image ${name}: blob ${desc.digest} failed verification: ${err.message}`, { cause: err });
    throw err;
  }
}

function parseManifest(bytes: Uint8Array, mediaType: string, name: string): ImageManifest {
  let doc: ImageManifest;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new RemoteError(`manifest of ${name} is not valid JSON`);
  }
  if (manifestKind(mediaType, doc) !== 'manifest') throw new RemoteError(`${name} is not an image manifest (media type ${JSON.stringify(mediaType)})`);
  const descs = [doc.config, ...(Array.isArray(doc.layers) ? doc.layers : [])];
  for (const d of descs) {
    if (!d || !isDigest(d.digest) || !Number.isSafeInteger(d.size) || d.size < 0) {
      throw new RemoteError(`manifest of ${name} has an invalid descriptor: ${JSON.stringify(d)}`);
    }
  }
  if (!Array.isArray(doc.layers)) throw new RemoteError(`manifest of ${name} has no layers array`);
  return doc;
}
