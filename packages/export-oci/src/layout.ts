// The OCI image layout of an exported image — `oci-layout`, `index.json` naming
// the image, `blobs/sha256/…` — plus `manifest.json`/`repositories` for
// type=docker, as a tarball (file or stdout) or as a directory (tar=false).
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { BlobStore } from '@pipekit/cas-store';
import { UsageError, type Descriptor } from '@pipekit/wire';
import { annotationsFor, type Annotation } from './annotations.ts';
import { isoSeconds } from './config.ts';
import { openDest, tempDirBeside, type Pending } from './dest.ts';
import { dockerArchiveFiles } from './docker-manifest.ts';
import { jsonBlobs, type BuiltImage } from './image.ts';
import { writeLayoutTar, type TarEntry } from './layout-tar.ts';
import { layoutIndexJson, type PlatformDescriptor } from './manifest.ts';
import type { ImageName } from './names.ts';

export type LayoutOptions = {
  type: 'oci' | 'docker';
  names: ImageName[];
  annotations: Annotation[];
  blobs: BlobStore;
  epoch?: number;
  /** tarball (true) or directory (false) */
  tar: boolean;
  dest: string;
  stdout?: NodeJS.WritableStream;
};

const LAYOUT = Buffer.from('{"imageLayoutVersion":"1.0.0"}');

/** Write the layout to a temp file/dir; the returned Pending makes it appear at dest (or streams it to stdout now). */
export async function writeLayout(img: BuiltImage, opts: LayoutOptions): Promise<Pending> {
  if (opts.type === 'docker' && img.platforms.length > 1) {
    // BuildKit's wording, so users can search for it
    throw new UsageError('docker exporter does not currently support exporting manifest lists');
  }
  const entries = layoutEntries(img, opts);
  if (!opts.tar) return writeLayoutDir(entries, opts);
  const dest = await openDest(opts.dest, opts.stdout);
  try {
    await writeLayoutTar(entries, (chunk) => dest.write(chunk), opts.epoch ?? 0);
  } catch (err) {
    await dest.abort();
    throw err;
  }
  return dest;
}

/** index.json's entries for the image: one per name, as containerd's WithManifest(desc, names...) writes them. */
export function indexEntries(img: BuiltImage, opts: Pick<LayoutOptions, 'names' | 'annotations' | 'epoch'>): PlatformDescriptor[] {
  const base: Record<string, string> = {};
  const createdAt = created(img, opts.epoch);
  if (createdAt) base['org.opencontainers.image.created'] = createdAt;
  Object.assign(base, annotationsFor(opts.annotations, img.index ? 'index-descriptor' : 'manifest-descriptor', img.index ? undefined : img.platforms[0].record.platform));
  // Without a name BuildKit writes no ref annotation, but then skopeo
  // (oci-archive:x.tar:latest), umoci (--image DIR:latest) and oci-image-tool
  // (--ref name=latest) cannot address the image; ref.name=latest names it
  // without claiming a repository.
  if (!opts.names.length) return [{ ...img.top, annotations: { 'org.opencontainers.image.ref.name': 'latest', ...base } }];
  return opts.names.map((n) => ({ ...img.top, annotations: { ...base, 'io.containerd.image.name': n.full, 'org.opencontainers.image.ref.name': n.refName } }));
}

function layoutEntries(img: BuiltImage, opts: LayoutOptions): TarEntry[] {
  const layers = new Map<string, Descriptor>();
  for (const p of img.platforms) for (const l of p.layers) layers.set(l.desc.digest, l.desc);
  const entries: TarEntry[] = [
    { name: 'blobs/', type: 'directory', mode: 0o755 },
    { name: 'blobs/sha256/', type: 'directory', mode: 0o755 },
    ...jsonBlobs(img).map((b) => blobEntry(b.desc, b.data)),
    ...[...layers.values()].map((d) => blobEntry(d, () => opts.blobs.open(d.digest))),
    fileEntry('index.json', layoutIndexJson(indexEntries(img, opts)), 0o644),
    fileEntry('oci-layout', LAYOUT, 0o444),
  ];
  if (opts.type === 'docker') {
    const p = img.platforms[0];
    for (const f of dockerArchiveFiles(p.config.desc.digest, p.layers.map((l) => l.desc.digest), opts.names)) entries.push(fileEntry(f.name, f.data, 0o644));
  }
  return entries;
}

/** The created annotation: the image's own created time (latest of several), else SOURCE_DATE_EPOCH, else none (no wall clock). */
function created(img: BuiltImage, epoch: number | undefined): string | undefined {
  if (epoch !== undefined) return isoSeconds(epoch);
  const times = img.platforms.map((p) => p.record.config.created).filter((c): c is string => typeof c === 'string' && !Number.isNaN(Date.parse(c)));
  return times.length ? times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a)) : undefined;
}

function blobEntry(desc: Descriptor, body: Buffer | (() => AsyncIterable<Uint8Array>)): TarEntry {
  return { name: `blobs/sha256/${desc.digest.slice('sha256:'.length)}`, type: 'file', mode: 0o444, size: desc.size, body };
}

function fileEntry(name: string, data: Buffer, mode: number): TarEntry {
  return { name, type: 'file', mode, size: data.length, body: data };
}

/**
 * tar=false: the layout as a directory. A new dest is written beside it and
 * renamed into place; an existing layout gets the new blobs (each renamed into
 * place) and an index.json that keeps its other images, written last, so a
 * failure leaves it as it was. Anything else at dest is refused.
 */
async function writeLayoutDir(entries: TarEntry[], opts: LayoutOptions): Promise<Pending> {
  const dest = path.resolve(opts.dest);
  const existing = await fs.stat(dest).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new UsageError(`cannot write an OCI layout directory at ${opts.dest}: it is a file`);
  const isLayout = existing && (await fs.access(path.join(dest, 'oci-layout')).then(() => true, () => false));
  if (existing && !isLayout && (await fs.readdir(dest)).length) {
    throw new UsageError(`${opts.dest} is a non-empty directory that is not an OCI layout; give a new or empty directory`);
  }
  const tmp = await tempDirBeside(dest);
  try {
    await fs.chmod(tmp, 0o755);
    for (const e of entries) {
      const file = path.join(tmp, e.name);
      if (e.type === 'directory') await fs.mkdir(file, { recursive: true });
      else if (e.body instanceof Uint8Array) await fs.writeFile(file, e.body, { mode: 0o644 });
      else await pipeline(Readable.from(e.body()), createWriteStream(file, { mode: 0o644 }));
    }
    if (isLayout) await mergeIndex(tmp, dest);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return {
    async commit() {
      if (!existing) return fs.rename(tmp, dest);
      if (!isLayout) await fs.rmdir(dest); // empty: replace it
      if (!isLayout) return fs.rename(tmp, dest);
      await fs.mkdir(path.join(dest, 'blobs', 'sha256'), { recursive: true });
      for (const name of await fs.readdir(path.join(tmp, 'blobs', 'sha256'))) {
        await fs.rename(path.join(tmp, 'blobs', 'sha256', name), path.join(dest, 'blobs', 'sha256', name));
      }
      await fs.rename(path.join(tmp, 'index.json'), path.join(dest, 'index.json'));
      await fs.rm(tmp, { recursive: true, force: true });
    },
    abort: () => fs.rm(tmp, { recursive: true, force: true }),
  };
}

/** index.json for an existing layout: its entries, less those our names replace (or, unnamed, our ref.name), then ours. */
async function mergeIndex(tmp: string, dest: string): Promise<void> {
  const ours = JSON.parse(await fs.readFile(path.join(tmp, 'index.json'), 'utf8')) as { manifests: PlatformDescriptor[] };
  let old: { manifests?: PlatformDescriptor[] } = {};
  try {
    old = JSON.parse(await fs.readFile(path.join(dest, 'index.json'), 'utf8'));
  } catch {
    /* a layout without a readable index.json: ours replaces it */
  }
  const key = (m: PlatformDescriptor) => m.annotations?.['io.containerd.image.name'] ?? m.annotations?.['org.opencontainers.image.ref.name'] ?? m.digest;
  const replaced = new Set(ours.manifests.map(key));
  const kept = (old.manifests ?? []).filter((m) => !replaced.has(key(m)));
  await fs.writeFile(path.join(tmp, 'index.json'), layoutIndexJson([...kept, ...ours.manifests]));
}
