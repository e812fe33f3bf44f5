// Pick the manifest for one platform out of an image index / manifest list.
import { NotFoundError, formatPlatform, platformMatches, type Descriptor, type Platform } from '@pipekit/wire';
import { manifestKind } from './media-types.ts';

export type IndexEntry = Descriptor & { platform?: { os?: string; architecture?: string; variant?: string } };
export type ImageIndex = { schemaVersion?: number; mediaType?: string; manifests: IndexEntry[] };

/**
 * The first entry whose platform matches; entries that are not images (attestations,
 * unknown/unknown) never match. `name` is used in the error, which lists what exists.
 */
export function selectPlatform(index: ImageIndex, platform: Platform, name: string): IndexEntry {
  const entries = Array.isArray(index.manifests) ? index.manifests : [];
  const candidates = entries.filter((e) => manifestKind(e.mediaType) !== 'unknown' && e.platform);
  // Prefer an exact variant match (arm/v7 over arm) before the looser platformMatches rule.
  const exact = candidates.find((e) => platformMatches(platform, e.platform!) && (e.platform!.variant ?? '') === platform.variant);
  const found = exact ?? candidates.find((e) => platformMatches(platform, e.platform!));
  if (found) return found;
  const available = [...new Set(candidates.map((e) => describe(e.platform!)))].filter((p) => p !== 'unknown/unknown');
  throw new NotFoundError(
    `image ${name} has no manifest for platform ${formatPlatform(platform)}; available: ${available.length ? available.join(', ') : 'none'}`,
  );
}

function describe(p: { os?: string; architecture?: string; variant?: string }): string {
  return [p.os ?? '?', p.architecture ?? '?', p.variant ?? ''].filter(Boolean).join('/');
}
