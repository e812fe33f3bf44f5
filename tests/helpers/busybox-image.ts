// A real, tiny base image for tests: Debian's static busybox with its applet
// symlinks, written as an OCI image layout and optionally pushed to a registry.
// The tar is deterministic (sorted, mtime 0, uid/gid 0) and gzipped with stored
// blocks in plain JS, so digests are the same on Node and Deno.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Buffer } from 'node:buffer';
import tarStream from 'tar-stream';
import { gzipStored } from './gzip-stored.ts';
import { MediaTypes, RegistryClient, parseReference } from '../../packages/cas-store/src/registry/index.ts';

export type BusyboxOptions = { tag?: string; busybox?: string; env?: string[]; cmd?: string[]; /** Go arch name of the busybox binary (default amd64) */ architecture?: string };
const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
const EPOCH = '1970-01-01T00:00:00Z';

type Entry = { name: string; type: 'file' | 'directory' | 'symlink'; mode: number; data?: Uint8Array; linkname?: string };
type Desc = { mediaType: string; digest: string; size: number };

/** Write (or add a tag to) an OCI image layout for linux/<architecture> with one busybox layer. */
export async function buildBusyboxLayout(dir: string, opts: BusyboxOptions = {}): Promise<{ manifestDigest: string }> {
  const busybox = opts.busybox ?? '/bin/busybox';
  const tag = opts.tag ?? 'latest';
  const tar = await packTar(await rootfsEntries(busybox));
  const layerBytes = gzipStored(tar);
  const blobs = path.join(dir, 'blobs', 'sha256');
  await fs.mkdir(blobs, { recursive: true });
  const put = async (mediaType: string, bytes: Uint8Array): Promise<Desc> => {
    const digest = sha256(bytes);
    await fs.writeFile(path.join(blobs, digest.slice(7)), bytes);
    return { mediaType, digest, size: bytes.length };
  };

  const layer = await put(MediaTypes.ociLayerGzip, layerBytes);
  const config = {
    created: EPOCH,
    architecture: opts.architecture ?? 'amd64',
    os: 'linux',
    config: { Env: opts.env ?? DEFAULT_ENV, Cmd: opts.cmd ?? ['sh'] },
    rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
    history: [{ created: EPOCH, created_by: `busybox-static ${path.basename(busybox)} with applet symlinks (tests/helpers/busybox-image.ts)` }],
  };
  const configDesc = await put(MediaTypes.ociConfig, json(config));
  const manifest = { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: configDesc, layers: [layer] };
  const manifestDesc = await put(MediaTypes.ociManifest, json(manifest));

  await fs.writeFile(path.join(dir, 'oci-layout'), json({ imageLayoutVersion: '1.0.0' }));
  // Keep other tags already in the layout; replace only this one.
  const indexPath = path.join(dir, 'index.json');
  const old = await fs.readFile(indexPath, 'utf8').then((t) => JSON.parse(t) as { manifests?: { annotations?: Record<string, string> }[] }, () => ({ manifests: [] }));
  const others = (old.manifests ?? []).filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] !== tag);
  const entry = { ...manifestDesc, annotations: { 'org.opencontainers.image.ref.name': tag }, platform: { architecture: opts.architecture ?? 'amd64', os: 'linux' } };
  await fs.writeFile(indexPath, json({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [...others, entry] }));
  return { manifestDigest: manifestDesc.digest };
}

/** Build the busybox image and push it to `host` as `repoTag` (e.g. "busybox:latest") with RegistryClient. */
export async function pushBusybox(host: string, repoTag: string, opts: Omit<BusyboxOptions, 'tag'> = {}): Promise<{ manifestDigest: string }> {
  const ref = parseReference(`${host}/${repoTag}`);
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'pipekit-busybox-'));
  try {
    const { manifestDigest } = await buildBusyboxLayout(dir, { ...opts, tag: ref.tag || 'latest' });
    const blobFile = (digest: string) => path.join(dir, 'blobs', 'sha256', digest.slice(7));
    const manifestBytes = await fs.readFile(blobFile(manifestDigest));
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config: Desc; layers: Desc[] };
    const client = new RegistryClient();
    for (const d of [...manifest.layers, manifest.config]) {
      // Streamed from disk on purpose: exercises the client's streaming upload.
      await client.pushBlob(ref, d.digest, d.size, createReadStream(blobFile(d.digest)));
    }
    const pushed = await client.putManifest(ref, ref.digest || ref.tag, new Uint8Array(manifestBytes), MediaTypes.ociManifest);
    return { manifestDigest: pushed };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function rootfsEntries(busybox: string): Promise<Entry[]> {
  const binary = new Uint8Array(await fs.readFile(busybox));
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'busybox' && !s.includes('/'));
  const text = (s: string) => new TextEncoder().encode(s);
  const entries: Entry[] = [
    { name: 'bin', type: 'directory', mode: 0o755 },
    { name: 'bin/busybox', type: 'file', mode: 0o755, data: binary },
    ...applets.map((a): Entry => ({ name: `bin/${a}`, type: 'symlink', mode: 0o777, linkname: 'busybox' })),
    { name: 'etc', type: 'directory', mode: 0o755 },
    { name: 'etc/passwd', type: 'file', mode: 0o644, data: text('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n') },
    { name: 'etc/group', type: 'file', mode: 0o644, data: text('root:x:0:\nnogroup:x:65534:\n') },
    { name: 'root', type: 'directory', mode: 0o700 },
    { name: 'tmp', type: 'directory', mode: 0o1777 },
    { name: 'var', type: 'directory', mode: 0o755 },
  ];
  // Sorted by path so the same inputs always give the same bytes; a parent sorts before its children.
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function packTar(entries: Entry[]): Promise<Uint8Array> {
  const pack = tarStream.pack();
  const chunks: Uint8Array[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Uint8Array);
  })();
  for (const e of entries) {
    const header = {
      name: e.type === 'directory' ? `${e.name}/` : e.name,
      type: e.type,
      mode: e.mode,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
      uname: 'root',
      gname: 'root',
      linkname: e.linkname,
      size: e.data?.length ?? 0,
    };
    await new Promise<void>((resolve, reject) => {
      pack.entry(header, e.data ? Buffer.from(e.data) : Buffer.alloc(0), (err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
