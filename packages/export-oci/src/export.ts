// export-oci's core for image outputs: image records (layers in the store) in;
// an OCI layout (tarball or directory, oci or docker flavour), a push to a
// registry, or just the image's blobs in the store (type=image without push) out.
// Order of work: cheap checks first, then layers (compressed into the store),
// then the small JSON blobs, and only then anything outside the store — written
// aside and made visible by commit().
import { promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { BlobStore, Lease } from '@pipekit/cas-store';
import { UsageError, type ImageRecord } from '@pipekit/wire';
import { CompressPool } from './compress-pool.ts';
import { checkDest, type Pending } from './dest.ts';
import { buildImage, jsonBlobs, type ExportContext } from './image.ts';
import { indexEntries, writeLayout } from './layout.ts';
import { descriptor, type PlatformDescriptor } from './manifest.ts';
import { normalizeNames } from './names.ts';
import { defaultOutput, type OutputSpec } from './output-spec.ts';
import { pushImage, type PushStats } from './push.ts';

export type ExportOptions = Partial<Omit<OutputSpec, 'type'>> & {
  type: 'oci' | 'docker' | 'image';
  storeDir: string;
  /** used when dest is '-' (default process.stdout); never ended here */
  stdout?: NodeJS.WritableStream;
  /** BuildKit plain-progress statuses without the `#N ` prefix */
  progress?: (line: string) => void;
  /** unix seconds; default $SOURCE_DATE_EPOCH */
  sourceDateEpoch?: number;
  insecureRegistries?: string[];
};

export type ExportResult = {
  /** digest of the manifest, or of the image index for several images */
  digest: string;
  /** config digest; '' for an index (BuildKit omits containerimage.config.digest then too) */
  configDigest: string;
  size: number;
  mediaType: string;
  /** containerimage.descriptor */
  descriptor: PlatformDescriptor;
  /** full names (image.name) */
  names: string[];
  push?: PushStats;
};

/** Export one image output and make it visible (the library form of `export-oci -o type=…`). */
export async function exportImages(images: ImageRecord[], opts: ExportOptions): Promise<ExportResult> {
  if (!['oci', 'docker', 'image'].includes(opts.type)) throw new UsageError(`unknown export type ${JSON.stringify(opts.type)} (want oci, docker or image)`);
  const spec: OutputSpec = { ...defaultOutput(opts.type), ...stripUndefined(opts), type: opts.type } as OutputSpec;
  if (spec.type !== 'image' && !spec.dest) throw new UsageError(`type=${spec.type} needs dest=FILE`);
  const storeDir = opts.storeDir;
  await checkStores(images, storeDir);
  const lease = await leaseLayers(storeDir, images);
  const ctx: ExportContext = { storeDir, blobs: new BlobStore(storeDir), pool: new CompressPool(), epoch: readEpoch(opts.sourceDateEpoch), progress: opts.progress ?? (() => {}), layers: new Map() };
  try {
    const { pending, result } = await prepareImageOutput(images, spec, ctx, opts);
    await pending.commit();
    return result;
  } finally {
    await ctx.pool.close();
    await lease?.end();
  }
}

/**
 * The layers being exported are in use for the store's GC (a prune or another
 * build's GC) until the export is done; marked before any of them is read.
 */
async function leaseLayers(storeDir: string, images: ImageRecord[]): Promise<{ end: () => Promise<void> } | undefined> {
  const diffIDs = images.flatMap((img) => img.layers.map((l) => l.diffID));
  if (diffIDs.length === 0 || !(await fs.stat(path.join(storeDir, 'blobs')).then((st) => st.isDirectory(), () => false))) return undefined;
  const key = { dir: storeDir };
  const lease = await Lease.begin(key);
  await lease.mark('layer', diffIDs);
  return { end: () => lease.end(key) };
}

/** Build the image and write (or push) it; a written layout stays aside until pending.commit(). */
export async function prepareImageOutput(
  images: ImageRecord[],
  spec: OutputSpec,
  ctx: ExportContext,
  env: { stdout?: NodeJS.WritableStream; insecureRegistries?: string[]; /** called once every layer is in the store */ layersDone?: () => void } = {},
): Promise<{ pending: Pending; result: ExportResult }> {
  if (!['oci', 'docker', 'image'].includes(spec.type)) throw new UsageError(`unknown export type ${JSON.stringify(spec.type)} (want oci, docker or image)`);
  if (spec.type === 'docker' && images.length > 1) {
    // BuildKit's wording, so users can search for it
    throw new UsageError('docker exporter does not currently support exporting manifest lists');
  }
  const names = normalizeNames(spec.name);
  if (spec.type !== 'image' && spec.tar) await checkDest(spec.dest, env.stdout);
  const img = await buildImage(images, ctx, spec);
  env.layersDone?.();
  const top = indexEntries(img, { names: [], annotations: spec.annotations, epoch: ctx.epoch })[0];
  const { 'org.opencontainers.image.ref.name': _ref, 'org.opencontainers.image.created': _created, ...descAnnotations } = top.annotations ?? {};
  const result: ExportResult = {
    digest: img.top.digest,
    configDigest: img.configDigest,
    size: img.top.size,
    mediaType: img.top.mediaType,
    descriptor: descriptor({ mediaType: img.top.mediaType, digest: img.top.digest, size: img.top.size, annotations: descAnnotations }),
    names: names.map((n) => n.full),
  };
  let pending: Pending = { commit: async () => {}, abort: async () => {} };
  if (spec.type === 'image') {
    // the image's own blobs go into the store either way, so `cas-store cat` finds them
    for (const b of jsonBlobs(img)) await ctx.blobs.put(b.data, { digest: b.desc.digest, size: b.desc.size });
    if (spec.push) {
      result.push = await pushImage(img, { name: spec.name, pushByDigest: spec.pushByDigest, insecure: spec.insecure, insecureRegistries: env.insecureRegistries, blobs: ctx.blobs, storeDir: ctx.storeDir, progress: ctx.progress });
      ctx.progress(`pushed: ${result.push.uploaded} uploaded, ${result.push.mounted} mounted, ${result.push.skipped} already there`);
    }
  } else {
    pending = await writeLayout(img, { type: spec.type as 'oci' | 'docker', names, annotations: spec.annotations, blobs: ctx.blobs, epoch: ctx.epoch, tar: spec.tar, dest: spec.dest, stdout: env.stdout });
    ctx.progress(spec.tar ? 'sending tarball done' : 'writing layout done');
  }
  return { pending, result };
}

/** SOURCE_DATE_EPOCH as unix seconds, or undefined when unset. */
export function readEpoch(given?: number): number | undefined {
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
export async function checkStores(images: ImageRecord[], storeDir: string): Promise<void> {
  const real = (p: string) => fs.realpath(p).catch(() => path.resolve(p));
  const ours = await real(storeDir);
  for (const img of images) {
    if (img.store && (await real(img.store)) !== ours) {
      throw new UsageError(`image ${img.target || '(default)'} is in store ${img.store}, but exporting from ${storeDir}; pass --store ${img.store}`);
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
