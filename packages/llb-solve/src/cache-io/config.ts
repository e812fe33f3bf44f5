// The cache config (BuildKit's application/vnd.buildkit.cacheconfig.v0 shape,
// pipekit's record semantics): `layers` is a forest of layer blobs linked by
// `parent`, each `records` entry maps one of our cache keys to the top layer of
// each output's chain, and `cacheMounts` carries RUN --mount=type=cache dirs.
import type { Descriptor } from '@pipekit/wire';
import type { LayerEntry } from '@pipekit/cas-store';

export const CACHE_CONFIG_MEDIA = 'application/vnd.buildkit.cacheconfig.v0';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const TAR_MEDIA = 'application/vnd.oci.image.layer.v1.tar';
export const INLINE_KEY = 'moby.buildkit.cache.v0';
export const UNCOMPRESSED = 'containerd.io/uncompressed';

export type CacheLayer = { blob: string; parent: number; annotations: Record<string, string> };
export type CacheConfigRecord = { digest: string; outputs: { layer: number }[]; description?: string; createdAt?: string };
export type CacheMountEntry = { id: string; blob: string; size: number; mediaType: string };
export type CacheConfig = { layers: CacheLayer[]; records: CacheConfigRecord[]; cacheMounts?: CacheMountEntry[] };

/** A cache record with its layers resolved from the store. */
export type ExportRecord = { key: string; description: string; createdAt: string; outputs: LayerEntry[][] };

/** Build the config and the layer descriptors a manifest lists (one per distinct blob). */
export function buildCacheConfig(records: ExportRecord[]): { config: CacheConfig; blobs: (Descriptor & { annotations: Record<string, string> })[] } {
  const layers: CacheLayer[] = [];
  const byChain = new Map<string, number>();
  const blobs = new Map<string, Descriptor & { annotations: Record<string, string> }>();
  const node = (chain: LayerEntry[]): number => {
    if (chain.length === 0) return -1;
    const id = chain.map((l) => l.diffID).join(',');
    const known = byChain.get(id);
    if (known !== undefined) return known;
    const parent = node(chain.slice(0, -1));
    const top = chain[chain.length - 1];
    layers.push({ blob: top.blob.digest, parent, annotations: { [UNCOMPRESSED]: top.diffID, mediaType: top.blob.mediaType, size: String(top.blob.size) } });
    blobs.set(top.blob.digest, { ...top.blob, annotations: { [UNCOMPRESSED]: top.diffID } });
    byChain.set(id, layers.length - 1);
    return layers.length - 1;
  };
  const out: CacheConfigRecord[] = records.map((r) => ({
    digest: r.key,
    outputs: r.outputs.map((chain) => ({ layer: node(chain) })),
    description: r.description,
    createdAt: r.createdAt,
  }));
  return { config: { layers, records: out }, blobs: [...blobs.values()] };
}

/** The diff-id chain (base first) and blob descriptors of layer node `i`. */
export function chainOf(cfg: CacheConfig, i: number): { diffID: string; desc: Descriptor }[] {
  const out: { diffID: string; desc: Descriptor }[] = [];
  for (let n = i, guard = 0; n >= 0; guard++) {
    const l = cfg.layers[n];
    if (!l || guard > cfg.layers.length) throw new Error(`cache config: layer ${n} is missing or its parents loop`);
    out.unshift({ diffID: l.annotations[UNCOMPRESSED], desc: { mediaType: l.annotations.mediaType || TAR_MEDIA, digest: l.blob, size: Number(l.annotations.size) } });
    n = l.parent;
  }
  return out;
}
