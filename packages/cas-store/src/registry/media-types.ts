// Media types the registry client speaks, and how to classify a manifest.
export const MediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Accept header for manifests: indexes first so multi-platform images stay resolvable. */
export const MANIFEST_ACCEPT = [
  MediaTypes.ociIndex,
  MediaTypes.dockerManifestList,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifest,
].join(', ');

export type ManifestKind = 'index' | 'manifest' | 'unknown';

/** Classify by media type, falling back to the document's shape (OCI allows mediaType to be absent). */
export function manifestKind(mediaType: string, doc?: unknown): ManifestKind {
  if (mediaType === MediaTypes.ociIndex || mediaType === MediaTypes.dockerManifestList) return 'index';
  if (mediaType === MediaTypes.ociManifest || mediaType === MediaTypes.dockerManifest) return 'manifest';
  if (doc && typeof doc === 'object') {
    const d = doc as Record<string, unknown>;
    if (Array.isArray(d.manifests)) return 'index';
    if (d.config && Array.isArray(d.layers)) return 'manifest';
  }
  return 'unknown';
}

/** The media type to record for a manifest: the header unless it is generic, else the body's own field. */
export function effectiveMediaType(contentType: string | null, doc: unknown): string {
  const header = (contentType ?? '').split(';')[0].trim();
  if (header && header !== 'application/json' && header !== 'text/plain' && header !== 'application/octet-stream') return header;
  const field = doc && typeof doc === 'object' ? (doc as { mediaType?: unknown }).mediaType : undefined;
  if (typeof field === 'string' && field) return field;
  const kind = manifestKind('', doc);
  return kind === 'index' ? MediaTypes.ociIndex : kind === 'manifest' ? MediaTypes.ociManifest : header;
}
