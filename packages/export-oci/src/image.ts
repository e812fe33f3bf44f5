// From image records to the blobs of an image: layers exported (compressed,
// reproducible) into the store, then config, manifest per platform and, for
// several platforms, an image index. Shared by the layout writers (oci, docker)
// and the registry push; nothing is written outside the store here.
import type { BlobStore } from '@pipekit/cas-store';
import { UsageError, WireFormatError, type ImageRecord, type Layer } from '@pipekit/wire';
import { annotationsFor, type Annotation } from './annotations.ts';
import type { JsonBlob } from './blob.ts';
import type { CompressPool } from './compress-pool.ts';
import { MEDIA_CONFIG, MEDIA_DOCKER_CONFIG, configBlob } from './config.ts';
import { layerCompression, type LayerCompression } from './decompress.ts';
import { exportLayer, type ExportedLayer } from './layers.ts';
import { MEDIA_DOCKER_LIST, MEDIA_DOCKER_MANIFEST, MEDIA_INDEX, MEDIA_MANIFEST, indexBlob, manifestBlob, ociPlatform, type OciPlatform, type PlatformDescriptor } from './manifest.ts';

/** What every output of one run shares: the store, the threads, the layers already exported. */
export type ExportContext = {
  storeDir: string;
  blobs: BlobStore;
  pool: CompressPool;
  /** SOURCE_DATE_EPOCH, unix seconds */
  epoch?: number;
  progress: (line: string) => void;
  /** layer exports by source blob + variant, so several outputs (and platforms) share the work */
  layers: Map<string, Promise<ExportedLayer>>;
};

export type ImageOptions = {
  compression: LayerCompression;
  level?: number;
  force: boolean;
  ociTypes: boolean;
  rewriteTimestamp: boolean;
  annotations: Annotation[];
};

export type PlatformImage = { record: ImageRecord; platform: OciPlatform; layers: ExportedLayer[]; config: JsonBlob; manifest: JsonBlob };
export type BuiltImage = {
  platforms: PlatformImage[];
  index?: JsonBlob;
  /** what a tag points at: the manifest (with its platform) or the index */
  top: PlatformDescriptor;
  /** '' for an index, as BuildKit leaves containerimage.config.digest out then */
  configDigest: string;
};

const LAYER_CONCURRENCY = 4;
const DOCKER_LAYER: Record<string, string> = {
  'application/vnd.oci.image.layer.v1.tar': 'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'application/vnd.docker.image.rootfs.diff.tar.gzip',
};

export async function buildImage(images: ImageRecord[], ctx: ExportContext, opts: ImageOptions): Promise<BuiltImage> {
  if (!images.length) throw new WireFormatError('no image records to export');
  checkPlatforms(images);
  let ociTypes = opts.ociTypes;
  if (!ociTypes && opts.compression === 'zstd') {
    ctx.progress('WARN: zstd layers need OCI media types: exporting with oci-mediatypes=true (as BuildKit does)');
    ociTypes = true;
  }
  const multi = images.length > 1;
  const forTarget = (t: 'manifest' | 'index') => opts.annotations.some((a) => a.target === t);
  if (!ociTypes && (forTarget('manifest') || forTarget('index'))) {
    throw new UsageError('manifest and index annotations need OCI media types: drop oci-mediatypes=false or the annotations');
  }
  if (!multi && forTarget('index')) throw new UsageError('annotation-index needs an image index: it applies only when several platforms are exported');
  // check every config before the (slow) layer work
  for (const img of images) configBlob(img.config, img.layers.map((l) => l.diffID));

  const started = Date.now();
  const layers = await exportAll(images, ctx, opts);
  ctx.progress(`exporting layers${elapsed(started)} done`);

  const platforms = images.map((record, i): PlatformImage => {
    const exported = layers[i];
    const baseLayers = leadingBaseLayers(record.layers);
    const rewritten = exported.some((l) => l.rewritten);
    const config = configBlob(record.config, record.layers.map((l) => l.diffID), {
      mediaType: ociTypes ? MEDIA_CONFIG : MEDIA_DOCKER_CONFIG,
      diffIDs: rewritten ? exported.map((l) => l.diffID) : undefined,
      epoch: ctx.epoch,
      baseLayers,
    });
    const platform = ociPlatform(record.platform ?? record.config);
    const layerDescs = exported.map((l) => (ociTypes ? l.desc : { ...l.desc, mediaType: DOCKER_LAYER[l.desc.mediaType] ?? l.desc.mediaType }));
    const manifest = manifestBlob(config.desc, layerDescs, {
      mediaType: ociTypes ? MEDIA_MANIFEST : MEDIA_DOCKER_MANIFEST,
      annotations: annotationsFor(opts.annotations, 'manifest', record.platform),
    });
    ctx.progress(`exporting manifest ${manifest.desc.digest} done`);
    ctx.progress(`exporting config ${config.desc.digest} done`);
    return { record, platform, layers: exported, config, manifest };
  });

  if (!multi) {
    const p = platforms[0];
    return { platforms, top: { ...p.manifest.desc, platform: p.platform }, configDigest: p.config.desc.digest };
  }
  const entries = platforms.map((p) => ({ ...p.manifest.desc, annotations: annotationsFor(opts.annotations, 'manifest-descriptor', p.record.platform), platform: p.platform }));
  const index = indexBlob(entries, { mediaType: ociTypes ? MEDIA_INDEX : MEDIA_DOCKER_LIST, annotations: annotationsFor(opts.annotations, 'index') });
  ctx.progress(`exporting manifest list ${index.desc.digest} done`);
  return { platforms, index, top: index.desc, configDigest: '' };
}

/** Every small JSON blob of an image: configs, manifests, index. */
export function jsonBlobs(img: BuiltImage): JsonBlob[] {
  return [...img.platforms.flatMap((p) => [p.config, p.manifest]), ...(img.index ? [img.index] : [])];
}

/** Layers that came compressed (pulled) at the bottom of the chain: the base image's. */
function leadingBaseLayers(layers: Layer[]): number {
  let n = 0;
  while (n < layers.length && layerCompression(layers[n].blob.mediaType) !== 'uncompressed') n++;
  return n;
}

/** Export every layer, a few at a time; a layer shared by several images or outputs is done once. */
async function exportAll(images: ImageRecord[], ctx: ExportContext, opts: ImageOptions): Promise<ExportedLayer[][]> {
  const epoch = opts.rewriteTimestamp ? ctx.epoch : undefined;
  const once = (l: Layer) => {
    const key = [l.blob?.digest, l.diffID, opts.compression, opts.level ?? '', opts.force, epoch ?? ''].join('|');
    let p = ctx.layers.get(key);
    if (!p) {
      p = exportLayer(l, { storeDir: ctx.storeDir, blobs: ctx.blobs, pool: ctx.pool, compression: opts.compression, level: opts.level, force: opts.force, epoch });
      ctx.layers.set(key, p);
    }
    return p;
  };
  const all = images.flatMap((img) => img.layers);
  let next = 0;
  let failed = false;
  const worker = async () => {
    try {
      while (!failed && next < all.length) await once(all[next++]);
    } catch (err) {
      failed = true; // the other workers finish their current layer, then stop
      throw err;
    }
  };
  await Promise.all(Array.from({ length: Math.min(LAYER_CONCURRENCY, all.length) }, worker));
  return Promise.all(images.map((img) => Promise.all(img.layers.map(once))));
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

export function elapsed(since: number): string {
  const s = (Date.now() - since) / 1000;
  return s > 0.01 ? ` ${s.toFixed(1)}s` : '';
}
