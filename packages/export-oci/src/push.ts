// type=image,push=true / type=registry: the image's blobs and manifests to a
// registry over the OCI distribution API (cas-store's RegistryClient). A blob
// the repository already has is skipped (HEAD); one this store knows to be in
// another repository of the same registry is mounted from there (no upload);
// the rest are streamed from the store. Where each blob was pushed is recorded
// in the store (export-oci/sources/<hex>.json) for later mounts, as BuildKit
// keeps containerd.io/distribution.source labels.
import path from 'node:path';
import { readJsonMaybe, writeJsonAtomic, type BlobStore } from '@pipekit/cas-store';
import { RegistryClient, parseReference, type ImageRef } from '@pipekit/cas-store';
import { UsageError, type Descriptor } from '@pipekit/wire';
import { elapsed, jsonBlobs, type BuiltImage } from './image.ts';

export type PushOptions = {
  /** comma-separated names, e.g. 127.0.0.1:5000/app:1,127.0.0.1:5000/app:latest */
  name: string;
  pushByDigest?: boolean;
  insecure?: boolean;
  insecureRegistries?: string[];
  blobs: BlobStore;
  storeDir: string;
  client?: RegistryClient;
  progress?: (line: string) => void;
};
export type PushStats = { uploaded: number; mounted: number; skipped: number };

const CONCURRENCY = 3;

/** Push to every name; returns what happened to the blobs, summed over the names. */
export async function pushImage(img: BuiltImage, opts: PushOptions): Promise<PushStats> {
  const refs = opts.name.split(',').map((n) => n.trim()).filter(Boolean).map((n) => parseReference(n));
  if (!refs.length) throw new UsageError('push needs name=REGISTRY/REPO[:TAG]');
  const insecure = [...(opts.insecureRegistries ?? []), ...(opts.insecure ? refs.map((r) => r.registry) : [])];
  const client = opts.client ?? new RegistryClient({ insecureRegistries: insecure });
  const progress = opts.progress ?? (() => {});
  const stats: PushStats = { uploaded: 0, mounted: 0, skipped: 0 };
  const small = new Map(jsonBlobs(img).map((b) => [b.desc.digest, b.data]));
  const layers = new Map<string, { desc: Descriptor; sources: string[] }>();
  for (const p of img.platforms) {
    p.layers.forEach((l, i) => layers.set(l.desc.digest, { desc: l.desc, sources: annotatedSources(p.record.layers[i]?.blob) }));
  }
  for (const ref of refs) {
    const started = Date.now();
    const queue = [...layers.values(), ...img.platforms.map((p) => ({ desc: p.config.desc, sources: [] }))];
    const worker = async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const how = await pushBlob(client, ref, job.desc, small.get(job.desc.digest), job.sources, opts);
        stats[how]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
    progress(`pushing layers${elapsed(started)} done`);
    const tagged = opts.pushByDigest || !ref.tag ? img.top.digest : ref.tag;
    if (img.index) for (const p of img.platforms) await client.putManifest(ref, p.manifest.desc.digest, p.manifest.data, p.manifest.desc.mediaType);
    const top = img.index ?? img.platforms[0].manifest;
    await client.putManifest(ref, tagged, top.data, top.desc.mediaType);
    progress(`pushing manifest for ${ref.registry}/${ref.repository}${tagged.startsWith('sha256:') ? '@' : ':'}${tagged}@${top.desc.digest}${elapsed(started)} done`);
  }
  return stats;
}

async function pushBlob(client: RegistryClient, ref: ImageRef, desc: Descriptor, data: Buffer | undefined, annotated: string[], opts: PushOptions): Promise<keyof PushStats> {
  const repo = `${ref.registry}/${ref.repository}`;
  if (await client.hasBlob(ref, desc.digest)) {
    await remember(opts.storeDir, desc.digest, repo);
    return 'skipped';
  }
  const known = [...annotated, ...((await readJsonMaybe<string[]>(sourcesFile(opts.storeDir, desc.digest))) ?? [])];
  for (const from of known) {
    const slash = from.indexOf('/');
    if (from.slice(0, slash) !== ref.registry || from === repo) continue;
    if (await client.mountBlob(ref, from.slice(slash + 1), desc.digest).catch(() => false)) {
      await remember(opts.storeDir, desc.digest, repo);
      return 'mounted';
    }
  }
  // a fresh read per attempt: an upload that failed half-way is sent again
  const body = data ? new Uint8Array(data) : () => opts.blobs.open(desc.digest);
  const sent = await client.pushBlob(ref, desc.digest, desc.size, body);
  await remember(opts.storeDir, desc.digest, repo);
  return sent ? 'uploaded' : 'skipped';
}

/** `containerd.io/distribution.source.<registry>=<repo>[,<repo>]` annotations on a record's blob, as registry/repo. */
function annotatedSources(blob: Descriptor | undefined): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(blob?.annotations ?? {})) {
    const prefix = 'containerd.io/distribution.source.';
    if (k.startsWith(prefix)) for (const repo of v.split(',')) out.push(`${k.slice(prefix.length)}/${repo.trim()}`);
  }
  return out;
}

function sourcesFile(storeDir: string, digest: string): string {
  return path.join(storeDir, 'export-oci', 'sources', `${digest.replace(/^sha256:/, '')}.json`);
}

async function remember(storeDir: string, digest: string, repo: string): Promise<void> {
  const file = sourcesFile(storeDir, digest);
  const known = (await readJsonMaybe<string[]>(file)) ?? [];
  if (!known.includes(repo)) await writeJsonAtomic(file, [...known, repo].slice(-20));
}
