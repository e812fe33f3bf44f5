// OCI image manifest and image index documents (or their Docker schema 2
// equivalents with oci-mediatypes=false). BuildKit writes both with
// json.MarshalIndent(v, "", "  "), and their digests depend on that exact text,
// so key order follows the Go structs (ocispec.Manifest, ocispec.Index,
// ocispec.Descriptor, ocispec.Platform) and omitempty fields are left out.
import type { Descriptor, Platform } from '@pipekit/wire';
import { jsonBlob, type JsonBlob } from './blob.ts';
import { goJson } from './json.ts';

export const MEDIA_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MEDIA_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

export type OciPlatform = { architecture: string; os: string; variant?: string };
export type PlatformDescriptor = Descriptor & { platform?: OciPlatform };

/** Descriptor fields in Go struct order, empty ones dropped. */
export function descriptor(d: PlatformDescriptor): PlatformDescriptor {
  const out: PlatformDescriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.annotations && Object.keys(d.annotations).length) out.annotations = sortedRecord(d.annotations);
  if (d.platform) out.platform = ociPlatform(d.platform);
  return out;
}

export function ociPlatform(p: Platform | OciPlatform): OciPlatform {
  const out: OciPlatform = { architecture: p.architecture, os: p.os };
  if (p.variant) out.variant = p.variant;
  return out;
}

export function manifestBlob(config: Descriptor, layers: Descriptor[], opts: { mediaType?: string; annotations?: Record<string, string> } = {}): JsonBlob {
  const mediaType = opts.mediaType ?? MEDIA_MANIFEST;
  const doc: Record<string, unknown> = { schemaVersion: 2, mediaType, config: descriptor(config), layers: layers.map((l) => descriptor(l)) };
  if (opts.annotations && Object.keys(opts.annotations).length) doc.annotations = sortedRecord(opts.annotations);
  return jsonBlob(mediaType, goJson(doc, '  '));
}

/** The nested image index of a multi-platform export (a blob, indented like the manifests). */
export function indexBlob(manifests: PlatformDescriptor[], opts: { mediaType?: string; annotations?: Record<string, string> } = {}): JsonBlob {
  const mediaType = opts.mediaType ?? MEDIA_INDEX;
  const doc: Record<string, unknown> = { schemaVersion: 2, mediaType, manifests: manifests.map((m) => descriptor(m)) };
  if (opts.annotations && Object.keys(opts.annotations).length) doc.annotations = sortedRecord(opts.annotations);
  return jsonBlob(mediaType, goJson(doc, '  '));
}

/** The layout's top-level index.json: compact, as containerd's archive exporter writes it with json.Marshal. */
export function layoutIndexJson(manifests: PlatformDescriptor[]): Buffer {
  const doc = { schemaVersion: 2, mediaType: MEDIA_INDEX, manifests: manifests.map((m) => descriptor(m)) };
  return Buffer.from(goJson(doc), 'utf8');
}

// Go marshals map keys sorted; do the same so annotation order never depends on insertion.
function sortedRecord(r: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k];
  return out;
}
