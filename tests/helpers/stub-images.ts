// A base-image resolver for converter tests that need no registry: every ref
// resolves to a one-layer linux image whose digest is derived from the ref, so
// graphs are deterministic. `configs` overrides the config of chosen refs.
import { createHash } from 'node:crypto';
import type { ImageConfig, Platform } from '../../packages/wire/src/index.ts';
import type { ImageResolver } from '../../packages/df-parse/src/convert/context.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export function stubResolver(configs: Record<string, Partial<ImageConfig['config']> & { onbuild?: string[] }> = {}, seen?: string[]): ImageResolver {
  return async (ref: string, platform: Platform) => {
    seen?.push(ref);
    if (ref.includes('does-not-exist')) throw new Error(`${ref}: not found`);
    const { onbuild, ...extra } = configs[ref] ?? {};
    const config: ImageConfig = {
      architecture: platform.architecture,
      os: platform.os,
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...extra, ...(onbuild ? { OnBuild: onbuild } : {}) },
      rootfs: { type: 'layers', diff_ids: [`sha256:${sha(`layer ${ref}`)}`] },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: `stub ${ref}` }],
    };
    const name = ref.includes('/') ? ref : `docker.io/library/${ref}`;
    const pinned = `${name.includes(':') ? name : `${name}:latest`}@sha256:${sha(`${ref} ${platform.architecture}`)}`;
    return { pinned, identifier: `docker-image://${pinned}`, config };
  };
}
