// Pull one platform's image from a local OCI image-layout directory
// (`oci-layout://DIR[:tag|@digest]`) into a BlobStore, as pullImage does from a registry.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { IntegrityError, NotFoundError, UsageError, isDigest, type Platform } from '@pipekit/wire';
import type { BlobStore } from '../blobs.ts';
import { manifestKind } from './media-types.ts';
import { selectPlatform, type ImageIndex, type IndexEntry } from './platform-select.ts';
import { storeImage, type PulledImage } from './store-image.ts';

const REF_NAME = 'org.opencontainers.image.ref.name';

/** Split `oci-layout://DIR[:tag|@digest]` (the scheme is optional); the default tag is latest. */
export function parseLayoutReference(s: string): { dir: string; tagOrDigest: string } {
  const rest = s.startsWith('oci-layout://') ? s.slice('oci-layout://'.length) : s;
  const at = rest.lastIndexOf('@sha256:');
  if (at >= 0) return { dir: rest.slice(0, at), tagOrDigest: rest.slice(at + 1) };
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) return { dir: rest.slice(0, colon), tagOrDigest: rest.slice(colon + 1) };
  if (rest === '') throw new UsageError(`invalid OCI layout reference ${JSON.stringify(s)}: missing directory`);
  return { dir: rest, tagOrDigest: 'latest' };
}

/** Tag is matched against the ref.name annotation in index.json; a digest may name any manifest or index there. */
export async function pullFromLayout(store: BlobStore, dir: string, tagOrDigest = 'latest', platform: Platform): Promise<PulledImage> {
  const name = `oci-layout://${dir}${isDigest(tagOrDigest) ? '@' : ':'}${tagOrDigest}`;
  const layout = await readJson<{ imageLayoutVersion?: string }>(path.join(dir, 'oci-layout'), `${dir} is not an OCI image layout (no oci-layout file)`);
  if (!layout.imageLayoutVersion) throw new NotFoundError(`${dir} is not an OCI image layout: oci-layout has no imageLayoutVersion`);
  const top = await readJson<ImageIndex>(path.join(dir, 'index.json'), `${dir} is not an OCI image layout (no index.json)`);
  const entries = Array.isArray(top.manifests) ? top.manifests : [];

  let chosen: IndexEntry | undefined;
  let indexDigest: string | undefined;
  if (isDigest(tagOrDigest)) {
    chosen = entries.find((e) => e.digest === tagOrDigest) ?? (await describeBlob(dir, tagOrDigest, name));
  } else {
    const tagged = entries.filter((e) => e.annotations?.[REF_NAME] === tagOrDigest);
    if (tagged.length === 0) {
      const tags = [...new Set(entries.map((e) => e.annotations?.[REF_NAME]).filter(Boolean))];
      throw new NotFoundError(`image ${name} not found: index.json has no manifest tagged ${JSON.stringify(tagOrDigest)} (tags: ${tags.length ? tags.join(', ') : 'none'})`);
    }
    // Several entries under one tag are per-platform manifests.
    chosen = tagged.length === 1 ? tagged[0] : selectPlatform({ manifests: tagged }, platform, name);
  }

  for (let depth = 0; manifestKind(chosen.mediaType) === 'index'; depth++) {
    if (depth >= 4) throw new NotFoundError(`image ${name}: indexes nested too deeply`);
    indexDigest ??= chosen.digest;
    const index = JSON.parse(new TextDecoder().decode(await readBlob(dir, chosen, name))) as ImageIndex;
    chosen = selectPlatform(index, platform, name);
  }
  const manifest = await readBlob(dir, chosen, name);
  return storeImage({
    store,
    name,
    manifest,
    manifestDigest: chosen.digest,
    mediaType: chosen.mediaType,
    indexDigest,
    platform,
    fetch: async (desc) => {
      const file = blobPath(dir, desc.digest);
      await fs.access(file).catch(() => {
        throw new NotFoundError(`image ${name}: blob ${desc.digest} is missing from the layout`);
      });
      return createReadStream(file);
    },
  });
}

function blobPath(dir: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  return path.join(dir, 'blobs', alg, hex);
}

/** Read a manifest or index blob, verified now because we act on it before the store sees it. */
async function readBlob(dir: string, desc: IndexEntry, name: string): Promise<Uint8Array> {
  const bytes = await fs.readFile(blobPath(dir, desc.digest)).catch(() => {
    throw new NotFoundError(`image ${name}: blob ${desc.digest} is missing from the layout`);
  });
  const got = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (got !== desc.digest || bytes.length !== desc.size) {
    throw new IntegrityError(`image ${name}: blob ${desc.digest} is corrupt (content hashes to ${got}, ${bytes.length} bytes)`);
  }
  return new Uint8Array(bytes);
}

/** A descriptor for a manifest named only by digest: media type from its own field. */
async function describeBlob(dir: string, digest: string, name: string): Promise<IndexEntry> {
  const bytes = await fs.readFile(blobPath(dir, digest)).catch(() => {
    throw new NotFoundError(`image ${name} not found: no such blob in the layout`);
  });
  let doc: { mediaType?: string };
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new UsageError(`image ${name}: that digest names a blob that is not a manifest or index`);
  }
  const mediaType = doc.mediaType ?? (manifestKind('', doc) === 'index' ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json');
  return { mediaType, digest, size: bytes.length };
}

async function readJson<T>(file: string, missing: string): Promise<T> {
  const text = await fs.readFile(file, 'utf8').catch(() => {
    throw new NotFoundError(missing);
  });
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new IntegrityError(`${file} is not valid JSON`);
  }
}
