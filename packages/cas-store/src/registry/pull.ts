// Pull one platform's image from a registry into a BlobStore.
import type { Platform } from '@pipekit/wire';
import type { BlobStore } from '../blobs.ts';
import type { RegistryClient } from './client.ts';
import { formatReference, parseReference, type ImageRef } from './reference.ts';
import { storeImage, type PulledImage } from './store-image.ts';

/** Resolve `ref` for `platform` and store manifest, config and layers (verified; present blobs skipped). */
export async function pullImage(client: RegistryClient, store: BlobStore, refIn: ImageRef | string, platform: Platform): Promise<PulledImage> {
  const ref = typeof refIn === 'string' ? parseReference(refIn) : refIn;
  const resolved = await client.resolveImage(ref, platform);
  return storeImage({
    store,
    name: formatReference(ref),
    manifest: resolved.manifest,
    manifestDigest: resolved.manifestDigest,
    mediaType: resolved.mediaType,
    indexDigest: resolved.indexDigest,
    platform,
    fetch: async (desc) => (await client.fetchBlob(ref, desc.digest)).body,
  });
}
