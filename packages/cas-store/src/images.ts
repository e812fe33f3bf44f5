// Base images: resolve a reference to its platform manifest and config (what
// df-parse needs to pin FROM), then make its layers present and unpacked (what
// llb-solve needs). A pinned digest already in the store costs no network.
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { NotFoundError, PipekitError, RemoteError, type Descriptor, type ImageConfig, type Platform } from '@pipekit/wire';
import type { Store } from './store.ts';
import type { LayerEntry } from './layer-index.ts';
import { ensureSnapshot } from './layers.ts';
import { RegistryClient } from './registry/client.ts';
import { parseReference, type ImageRef } from './registry/reference.ts';
import { manifestKind } from './registry/media-types.ts';
import { selectPlatform, type ImageIndex } from './registry/platform-select.ts';
import { short } from './blobs.ts';
import { markInUse } from './inuse.ts';

export type Manifest = { schemaVersion: number; mediaType?: string; config: Descriptor; layers: Descriptor[] };
export type ResolvedBaseImage = {
  /** canonical reference pinned to the platform manifest: name:tag@sha256:... */
  pinned: string;
  ref: ImageRef;
  manifestDigest: string;
  manifest: Manifest;
  config: ImageConfig;
};
export type ImageSourceOptions = { client?: RegistryClient; insecureRegistries?: string[]; registryCAs?: string[]; onStatus?: (id: string, done: boolean) => void };

const FETCH_ATTEMPTS = 3;

function clientFor(opts: ImageSourceOptions): RegistryClient {
  return opts.client ?? new RegistryClient({ insecureRegistries: opts.insecureRegistries, registryCAs: opts.registryCAs });
}

/** Fetch a blob into the store, verified; a connection dropped mid-body is retried, bad content is not. */
export async function fetchBlobInto(store: Store, client: RegistryClient, ref: ImageRef, desc: Descriptor): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const blob = await client.fetchBlob(ref, desc.digest);
      await store.blobs.put(blob.body, { digest: desc.digest, size: desc.size });
      return;
    } catch (err) {
      if (!(err instanceof RemoteError) || attempt >= FETCH_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

async function storedManifest(store: Store, digest: string, platform: Platform, name: string): Promise<{ digest: string; manifest: Manifest } | undefined> {
  if (!(await store.blobs.has(digest))) return undefined;
  const doc = await store.blobs.readJson<Manifest & ImageIndex>(digest);
  if (manifestKind(doc.mediaType ?? '', doc) === 'index') {
    const entry = selectPlatform(doc, platform, name);
    return storedManifest(store, entry.digest, platform, name);
  }
  return { digest, manifest: doc };
}

/** Resolve `refStr` for `platform` to manifest + config, storing both. */
export async function resolveImage(store: Store, refStr: string, platform: Platform, opts: ImageSourceOptions = {}): Promise<ResolvedBaseImage> {
  if (refStr.startsWith('oci-layout://')) return resolveLayoutImage(store, refStr, platform);
  const ref = parseReference(refStr);
  const client = clientFor(opts);
  let found = ref.digest ? await storedManifest(store, ref.digest, platform, ref.toString()) : undefined;
  if (!found) {
    const res = await client.resolveImage(ref, platform);
    await store.blobs.put(res.manifest, { digest: res.manifestDigest });
    found = { digest: res.manifestDigest, manifest: JSON.parse(Buffer.from(res.manifest).toString('utf8')) as Manifest };
  }
  const cfg = found.manifest.config;
  if (!(await store.blobs.has(cfg.digest))) await fetchBlobInto(store, client, ref, cfg);
  const config = await store.blobs.readJson<ImageConfig>(cfg.digest);
  const name = ref.tag ? `${ref.registry}/${ref.repository}:${ref.tag}` : `${ref.registry}/${ref.repository}`;
  return { pinned: `${name}@${found.digest}`, ref, manifestDigest: found.digest, manifest: found.manifest, config };
}

/** `oci-layout://DIR[:tag|@digest]`: an image from an OCI layout directory on this machine. */
async function resolveLayoutImage(store: Store, refStr: string, platform: Platform): Promise<ResolvedBaseImage> {
  const rest = refStr.slice('oci-layout://'.length);
  const at = rest.lastIndexOf('@');
  const colon = rest.lastIndexOf(':');
  const dir = at > 0 ? rest.slice(0, at) : colon > rest.lastIndexOf('/') ? rest.slice(0, colon) : rest;
  const sel = at > 0 ? rest.slice(at + 1) : colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : 'latest';
  const readBlob = async (d: string) => fs.readFile(path.join(dir, 'blobs', ...d.split(':'))).catch((err) => {
    throw new NotFoundError(`cannot read blob ${short(d)} in OCI layout ${dir}: ${(err as Error).message}`, { cause: err });
  });
  const index = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8').catch((err) => {
    throw new NotFoundError(`${dir} is not an OCI layout: cannot read index.json`, { cause: err });
  })) as ImageIndex;
  const entry = index.manifests.find((m) => m.digest === sel || m.annotations?.['org.opencontainers.image.ref.name'] === sel)
    ?? (index.manifests.length === 1 && sel === 'latest' ? index.manifests[0] : undefined);
  if (!entry) throw new NotFoundError(`image ${JSON.stringify(sel)} not found in OCI layout ${dir}`);
  let desc: Descriptor = entry;
  let doc = JSON.parse((await readBlob(desc.digest)).toString('utf8'));
  if (manifestKind(desc.mediaType, doc) === 'index') {
    desc = selectPlatform(doc as ImageIndex, platform, refStr);
    doc = JSON.parse((await readBlob(desc.digest)).toString('utf8'));
  }
  const manifest = doc as Manifest;
  await store.blobs.put(await readBlob(desc.digest), { digest: desc.digest });
  for (const d of [manifest.config, ...manifest.layers]) {
    if (!(await store.blobs.has(d.digest))) await store.blobs.put(await readBlob(d.digest), { digest: d.digest, size: d.size });
  }
  const config = await store.blobs.readJson<ImageConfig>(manifest.config.digest);
  const ref = parseReference(`localhost/oci-layout@${desc.digest}`);
  return { pinned: `oci-layout://${dir}@${desc.digest}`, ref, manifestDigest: desc.digest, manifest, config };
}

/** Make every layer of a resolved image present and unpacked; returns them bottom first. */
export async function ensureImageLayers(store: Store, img: ResolvedBaseImage, opts: ImageSourceOptions = {}): Promise<LayerEntry[]> {
  const diffIds = img.config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== img.manifest.layers.length) {
    throw new PipekitError(`image ${img.pinned}: config lists ${diffIds.length} diff ids for ${img.manifest.layers.length} layers`);
  }
  const client = clientFor(opts);
  const out: LayerEntry[] = [];
  await markInUse(store, 'layer', diffIds);
  for (const [i, desc] of img.manifest.layers.entries()) {
    const known = await store.layers.get(diffIds[i]);
    if (known?.snapshot && (await store.snapshots.exists(known.snapshot)) && (await store.blobs.has(known.blob.digest))) {
      out.push(known);
      continue;
    }
    if (!(await store.blobs.has(desc.digest))) {
      opts.onStatus?.(`pulling ${desc.digest}`, false);
      await fetchBlobInto(store, client, img.ref, desc);
      opts.onStatus?.(`pulling ${desc.digest}`, true);
    }
    opts.onStatus?.(`extracting ${desc.digest}`, false);
    const entry = await ensureSnapshot(store, desc, diffIds[i]);
    // remember where the blob came from: a push to another repository there can mount it
    const source = img.pinned.startsWith('oci-layout://') ? undefined : `${img.ref.registry}/${img.ref.repository}`;
    if (source && entry.blob.digest === desc.digest && !entry.sources?.includes(source)) {
      const withSource = { ...entry, sources: [...(entry.sources ?? []), source] };
      await store.layers.put(withSource);
      out.push(withSource);
    } else out.push(entry);
    opts.onStatus?.(`extracting ${desc.digest}`, true);
  }
  return out;
}
