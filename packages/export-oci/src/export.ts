// export-oci's core: image records (layers already in the store) in, one OCI
// layout tarball out, shaped like BuildKit's `--output type=oci|docker`.
// Order of work: every check that can fail cheaply runs first, then layers are
// compressed (into the store), then the small JSON blobs are built, and only
// then is the tarball streamed to a temp file that becomes dest on success.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { BlobStore } from '@pipekit/cas-store';
import { UsageError, WireFormatError, type Descriptor, type ImageRecord, type Layer } from '@pipekit/wire';
import { configBlob } from './config.ts';
import { checkDest, openDest } from './dest.ts';
import { dockerArchiveFiles } from './docker-manifest.ts';
import { exportLayer, type ExportedLayer } from './layers.ts';
import { writeLayoutTar, type TarEntry } from './layout-tar.ts';
import { indexBlob, layoutIndexJson, manifestBlob, ociPlatform, type PlatformDescriptor } from './manifest.ts';
import { normalizeNames, type ImageName } from './names.ts';
import type { JsonBlob } from './blob.ts';

export type ExportOptions = {
  type: 'oci' | 'docker';
  /** file path, or '-' for stdout */
  dest: string;
  /** image name(s), comma-separated as with BuildKit's name=, e.g. example:latest */
  name?: string;
  storeDir: string;
  /** used when dest is '-' (default process.stdout); never ended here */
  stdout?: NodeJS.WritableStream;
  /**
   * Finished statuses in BuildKit's plain-progress wording, without the `#N `
   * prefix: `exporting layers 0.2s done`, `exporting manifest sha256:… done`,
   * `exporting config sha256:… done`, `exporting manifest list sha256:… done`,
   * `sending tarball 0.1s done`. The vertex name (`exporting to oci image format`)
   * is the caller's to print.
   */
  progress?: (line: string) => void;
  /** unix seconds for tar mtimes and the created annotation fallback; default $SOURCE_DATE_EPOCH, else 0 for mtimes */
  sourceDateEpoch?: number;
};

export type ExportResult = {
  /** digest of what index.json points at: the manifest, or the image index for several images */
  digest: string;
  /** config digest; '' for a multi-platform index (BuildKit omits containerimage.config.digest then too) */
  configDigest: string;
  /** size of that manifest (or index) */
  size: number;
  mediaType: string;
};

const LAYOUT = Buffer.from('{"imageLayoutVersion":"1.0.0"}');
const LAYER_CONCURRENCY = 4;

export async function exportImages(images: ImageRecord[], opts: ExportOptions): Promise<ExportResult> {
  if (opts.type !== 'oci' && opts.type !== 'docker') throw new UsageError(`unknown export type ${JSON.stringify(opts.type)} (want oci or docker)`);
  if (!images.length) throw new WireFormatError('no image records to export');
  if (opts.type === 'docker' && images.length > 1) {
    // BuildKit's wording, so users can search for it
    throw new UsageError('docker exporter does not currently support exporting manifest lists');
  }
  const names = normalizeNames(opts.name);
  const epoch = sourceDateEpoch(opts.sourceDateEpoch);
  await checkStores(images, opts.storeDir);
  checkPlatforms(images);
  const configs = images.map((img) => configBlob(img.config, img.layers.map((l) => l.diffID)));
  await checkDest(opts.dest, opts.stdout);

  const progress = opts.progress ?? (() => {});
  const blobs = new BlobStore(opts.storeDir);
  let started = Date.now();
  const layers = await exportAllLayers(images, opts.storeDir, blobs);
  progress(`exporting layers${elapsed(started)} done`);

  const manifests: JsonBlob[] = configs.map((config, i) => {
    const m = manifestBlob(config.desc, layers[i].map((l) => l.desc));
    progress(`exporting manifest ${m.desc.digest} done`);
    progress(`exporting config ${config.desc.digest} done`);
    return m;
  });
  const platformOf = (i: number) => ociPlatform(images[i].platform ?? images[i].config);
  let top: PlatformDescriptor;
  let index: JsonBlob | undefined;
  if (images.length === 1) {
    top = { ...manifests[0].desc, platform: platformOf(0) };
  } else {
    index = indexBlob(manifests.map((m, i) => ({ ...m.desc, platform: platformOf(i) })));
    progress(`exporting manifest list ${index.desc.digest} done`);
    top = index.desc;
  }

  const entries: TarEntry[] = [
    { name: 'blobs/', type: 'directory', mode: 0o755 },
    { name: 'blobs/sha256/', type: 'directory', mode: 0o755 },
    ...[...configs, ...manifests, ...(index ? [index] : [])].map((b) => blobEntry(b.desc, b.data)),
    ...layers.flat().map((l) => blobEntry(l.desc, () => blobs.open(l.desc.digest))),
    fileEntry('index.json', layoutIndexJson(indexEntries(top, names, created(images, epoch))), 0o644),
    fileEntry('oci-layout', LAYOUT, 0o444),
  ];
  if (opts.type === 'docker') {
    for (const f of dockerArchiveFiles(configs[0].desc.digest, layers[0].map((l) => l.desc.digest), names)) {
      entries.push(fileEntry(f.name, f.data, 0o644));
    }
  }

  started = Date.now();
  const dest = await openDest(opts.dest, opts.stdout);
  try {
    await writeLayoutTar(entries, (chunk) => dest.write(chunk), epoch ?? 0);
    await dest.commit();
  } catch (err) {
    await dest.abort();
    throw err;
  }
  progress(`sending tarball${elapsed(started)} done`);
  return {
    digest: top.digest,
    configDigest: images.length === 1 ? configs[0].desc.digest : '',
    size: top.size,
    mediaType: top.mediaType,
  };
}

/** Compress/verify every layer, a few at a time; a layer shared by several images is done once. */
async function exportAllLayers(images: ImageRecord[], storeDir: string, blobs: BlobStore): Promise<ExportedLayer[][]> {
  const memo = new Map<string, Promise<ExportedLayer>>();
  const all: Layer[] = images.flatMap((img) => img.layers);
  const once = (l: Layer) => {
    const key = `${l.blob?.digest}|${l.diffID}`;
    let p = memo.get(key);
    if (!p) memo.set(key, (p = exportLayer(l, { storeDir, blobs })));
    return p;
  };
  let next = 0;
  let failed = false;
  const worker = async () => {
    try {
      while (!failed && next < all.length) await once(all[next++]);
    } catch (err) {
      failed = true; // let the other workers finish their current layer, then stop
      throw err;
    }
  };
  await Promise.all(Array.from({ length: Math.min(LAYER_CONCURRENCY, all.length) }, worker));
  return Promise.all(images.map((img) => Promise.all(img.layers.map(once))));
}

function blobEntry(desc: Descriptor, body: Buffer | (() => AsyncIterable<Uint8Array>)): TarEntry {
  return { name: `blobs/sha256/${desc.digest.slice('sha256:'.length)}`, type: 'file', mode: 0o444, size: desc.size, body };
}

function fileEntry(name: string, data: Buffer, mode: number): TarEntry {
  return { name, type: 'file', mode, size: data.length, body: data };
}

/**
 * index.json entries. With names: one entry per name, as containerd's
 * WithManifest(desc, names...) writes them. Without a name BuildKit writes no
 * ref annotation, but then skopeo (`oci-archive:x.tar:latest`), umoci
 * (`--image DIR:latest`) and oci-image-tool (`--ref name=latest`) have no tag
 * to address the image by; `ref.name=latest` alone names it without claiming
 * a repository (io.containerd.image.name stays unset).
 */
function indexEntries(top: PlatformDescriptor, names: ImageName[], createdAt: string | undefined): PlatformDescriptor[] {
  const base: Record<string, string> = createdAt ? { 'org.opencontainers.image.created': createdAt } : {};
  if (!names.length) return [{ ...top, annotations: { ...base, 'org.opencontainers.image.ref.name': 'latest' } }];
  return names.map((n) => ({
    ...top,
    annotations: { ...base, 'io.containerd.image.name': n.full, 'org.opencontainers.image.ref.name': n.refName },
  }));
}

/** The created annotation: the image's own created time (latest of several), else SOURCE_DATE_EPOCH, else none (no wall clock, to stay reproducible). */
function created(images: ImageRecord[], epoch: number | undefined): string | undefined {
  const times = images.map((i) => i.config.created).filter((c): c is string => typeof c === 'string' && !Number.isNaN(Date.parse(c)));
  if (times.length) return times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
  return epoch === undefined ? undefined : new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sourceDateEpoch(given: number | undefined): number | undefined {
  if (given !== undefined) {
    if (!Number.isSafeInteger(given) || given < 0) throw new UsageError(`invalid SOURCE_DATE_EPOCH ${given}: want whole seconds since 1970`);
    return given;
  }
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env === undefined || env === '') return undefined;
  if (!/^\d+$/.test(env)) throw new UsageError(`invalid SOURCE_DATE_EPOCH ${JSON.stringify(env)}: want whole seconds since 1970`);
  return Number(env);
}

/** Records name the store they were solved into; reading another store would only produce NotFoundErrors. */
async function checkStores(images: ImageRecord[], storeDir: string): Promise<void> {
  const real = (p: string) => fs.realpath(p).catch(() => path.resolve(p));
  const ours = await real(storeDir);
  for (const img of images) {
    if (img.store && (await real(img.store)) !== ours) {
      throw new UsageError(`image ${img.target || '(default)'} is in store ${img.store}, but exporting from ${storeDir}; pass --store ${img.store}`);
    }
  }
}

function checkPlatforms(images: ImageRecord[]): void {
  const seen = new Set<string>();
  for (const img of images) {
    const p = img.platform ?? img.config;
    const key = `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
    if (seen.has(key)) throw new WireFormatError(`two images for platform ${key}: an image index can hold only one per platform`);
    seen.add(key);
  }
}

function elapsed(since: number): string {
  const s = (Date.now() - since) / 1000;
  return s > 0.01 ? ` ${s.toFixed(1)}s` : '';
}
