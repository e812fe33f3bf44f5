// Test fixtures shared by this package's tests and tests/export-*.test.ts (not
// part of the public API): a temp store holding one hand-made layer, and an
// ImageRecord over it, the way llb-solve would hand it on.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tarStream from 'tar-stream';
import { BlobStore } from '@pipekit/cas-store';
import type { ImageRecord, Layer } from '@pipekit/wire';

export type LayerFile =
  | { name: string; type: 'directory'; mode?: number }
  | { name: string; type: 'file'; data: string; mode?: number }
  | { name: string; type: 'symlink'; linkname: string };

export const DEFAULT_FILES: LayerFile[] = [
  { name: 'app/', type: 'directory' },
  { name: 'app/hello.txt', type: 'file', data: 'hello from the layer\n' },
  { name: 'app/run.sh', type: 'file', data: '#!/bin/sh\necho hi\n', mode: 0o755 },
  { name: 'app/link', type: 'symlink', linkname: 'hello.txt' },
  { name: 'etc/', type: 'directory' },
  { name: 'etc/motd', type: 'file', data: 'welcome & <enjoy>\n' },
];

/** An uncompressed layer tar with fixed headers. */
export async function layerTar(files: LayerFile[] = DEFAULT_FILES, mtime = 0): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  })();
  const base = { mtime: new Date(mtime * 1000), uid: 0, gid: 0, uname: '', gname: '' };
  for (const f of files) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (f.type === 'file') pack.entry({ ...base, name: f.name, mode: f.mode ?? 0o644, type: 'file' }, f.data, cb);
      else if (f.type === 'directory') pack.entry({ ...base, name: f.name, mode: f.mode ?? 0o755, type: 'directory' }, cb);
      else pack.entry({ ...base, name: f.name, mode: 0o777, type: 'symlink', linkname: f.linkname }, cb);
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

const made: string[] = [];

export async function tempDir(prefix = 'export-oci-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Remove every dir tempDir() made (blobs are 0444, so force). */
export async function cleanup(): Promise<void> {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** Put an uncompressed layer into the store and describe it as a wire Layer. */
export async function storeLayer(storeDir: string, files: LayerFile[] = DEFAULT_FILES, mtime = 0): Promise<Layer> {
  const tar = await layerTar(files, mtime);
  const { digest, size } = await new BlobStore(storeDir).put(tar);
  return { diffID: digest, size, blob: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size } };
}

export function imageRecord(storeDir: string, layers: Layer[], over: Partial<ImageRecord> = {}): ImageRecord {
  const platform = over.platform ?? { os: 'linux', architecture: 'amd64', variant: '' };
  return {
    v: 1,
    type: 'image',
    target: '',
    platform,
    store: storeDir,
    layers,
    config: {
      created: '2024-01-02T03:04:05Z',
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello'],
        Cmd: ['/app/run.sh'],
        WorkingDir: '/app',
      },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
      history: layers.map(() => ({ created: '2024-01-02T03:04:05Z', created_by: 'COPY . /app # buildkit' })),
    },
    ...over,
  };
}

/** A store with one layer and a record over it. */
export async function fixture(files?: LayerFile[]): Promise<{ storeDir: string; layer: Layer; image: ImageRecord }> {
  const storeDir = await tempDir('export-oci-store-');
  const layer = await storeLayer(storeDir, files);
  return { storeDir, layer, image: imageRecord(storeDir, [layer]) };
}
