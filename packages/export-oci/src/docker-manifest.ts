// The extra files of the `docker` variant: `docker load` reads manifest.json
// (containerd's archive exporter format) rather than the OCI index. The legacy
// `repositories` file is written too when the image is named, because older
// loaders and some scanners still look for it.
import { goJson } from './json.ts';
import type { ImageName } from './names.ts';

export type DockerFile = { name: 'manifest.json' | 'repositories'; data: Buffer };

const blobPath = (digest: string) => `blobs/sha256/${digest.replace(/^sha256:/, '')}`;

export function dockerArchiveFiles(configDigest: string, layerDigests: string[], names: ImageName[]): DockerFile[] {
  // Digest-only names cannot be loaded as tags (docker refuses them), so only
  // tagged names go into RepoTags and repositories.
  const tagged = names.filter((n) => n.tag);
  const manifest = [
    {
      Config: blobPath(configDigest),
      // null, not [], when unnamed: containerd marshals a nil slice that way
      RepoTags: tagged.length ? tagged.map((n) => `${n.familiarRepo}:${n.tag}`) : null,
      Layers: layerDigests.map(blobPath),
    },
  ];
  const files: DockerFile[] = [{ name: 'manifest.json', data: Buffer.from(goJson(manifest), 'utf8') }];
  if (tagged.length) {
    const repos: Record<string, Record<string, string>> = {};
    for (const n of tagged) (repos[n.familiarRepo] ??= {})[n.tag] = configDigest.replace(/^sha256:/, '');
    files.push({ name: 'repositories', data: Buffer.from(goJson(sortKeys(repos)), 'utf8') });
  }
  return files;
}

function sortKeys<T>(r: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k] instanceof Object && !Array.isArray(r[k]) ? (sortKeys(r[k] as Record<string, unknown>) as T) : r[k];
  return out;
}
