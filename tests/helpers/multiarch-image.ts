// A two-platform base for multi-platform tests: Debian's amd64 and arm64
// busybox-static, each an image, joined by an OCI index pushed to a registry.
import { createReadStream, existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { buildBusyboxLayout } from './busybox-image.ts';
import { ROOT } from './cli.ts';
import { MediaTypes, RegistryClient, parseReference } from '../../packages/cas-store/src/registry/index.ts';

/** Debian's arm64 busybox-static, fetched by scripts/setup.sh; undefined when absent. */
export function arm64Busybox(): string | undefined {
  const p = process.env.PIPEKIT_BUSYBOX_ARM64 ?? path.join(ROOT, '.cache', 'busybox-arm64');
  return existsSync(p) ? p : undefined;
}

type Desc = { mediaType: string; digest: string; size: number };

/** Push one image per architecture, then an index naming them, as `repoTag`. */
export async function pushMultiArch(host: string, repoTag: string, arches: { architecture: string; busybox: string }[]): Promise<string> {
  const ref = parseReference(`${host}/${repoTag}`);
  const client = new RegistryClient();
  const manifests: (Desc & { platform: { os: string; architecture: string; variant?: string } })[] = [];
  for (const a of arches) {
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'pipekit-multiarch-'));
    try {
      const { manifestDigest } = await buildBusyboxLayout(dir, { busybox: a.busybox, architecture: a.architecture });
      const file = (d: string) => path.join(dir, 'blobs', 'sha256', d.slice(7));
      const bytes = await fs.readFile(file(manifestDigest));
      const m = JSON.parse(bytes.toString('utf8')) as { config: Desc; layers: Desc[] };
      for (const d of [...m.layers, m.config]) await client.pushBlob(ref, d.digest, d.size, createReadStream(file(d.digest)));
      await client.putManifest(ref, manifestDigest, new Uint8Array(bytes), MediaTypes.ociManifest);
      manifests.push({ mediaType: MediaTypes.ociManifest, digest: manifestDigest, size: bytes.length, platform: { os: 'linux', architecture: a.architecture, ...(a.architecture === 'arm64' ? { variant: 'v8' } : {}) } });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }));
  return client.putManifest(ref, ref.tag, new Uint8Array(index), MediaTypes.ociIndex);
}
