// Where an exported cache goes: an OCI layout directory (blobs/sha256/*,
// index.json naming the cache manifest by tag, oci-layout) written blob by blob
// with temp files and renames, index.json last; or a registry repository, with
// layers mounted from repositories the store pulled them from when possible.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Descriptor } from '@pipekit/wire';
import { RegistryClient, parseReference } from '@pipekit/cas-store';
import { OCI_INDEX, OCI_MANIFEST } from './config.ts';
import { exists } from './collect.ts';

export type CacheSink = {
  putBlob(desc: Descriptor, open: () => AsyncIterable<Uint8Array>, sources?: string[]): Promise<void>;
  putManifest(bytes: Uint8Array): Promise<string>;
};

async function writeAtomic(file: string, body: AsyncIterable<Uint8Array> | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    await pipeline(body instanceof Uint8Array ? Readable.from([body]) : Readable.from(body), createWriteStream(tmp));
    await fs.rename(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

export function localSink(dir: string, tag: string): CacheSink {
  const blobs = path.join(dir, 'blobs', 'sha256');
  return {
    async putBlob(desc, open) {
      await fs.mkdir(blobs, { recursive: true });
      const file = path.join(blobs, desc.digest.slice(7));
      if (await exists(file)) return;
      await writeAtomic(file, open());
    },
    async putManifest(bytes) {
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      await this.putBlob({ mediaType: OCI_MANIFEST, digest, size: bytes.length }, () => Readable.from([bytes]));
      await writeAtomic(path.join(dir, 'oci-layout'), new TextEncoder().encode('{"imageLayoutVersion":"1.0.0"}'));
      const indexFile = path.join(dir, 'index.json');
      const old = JSON.parse(await fs.readFile(indexFile, 'utf8').catch(() => '{}')) as { manifests?: { annotations?: Record<string, string> }[] };
      const others = (old.manifests ?? []).filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] !== tag);
      const entry = { mediaType: OCI_MANIFEST, digest, size: bytes.length, annotations: { 'org.opencontainers.image.ref.name': tag } };
      await writeAtomic(indexFile, new TextEncoder().encode(`${JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...others, entry] }, null, 2)}\n`));
      return digest;
    },
  };
}

export function registrySink(refText: string, client: RegistryClient): CacheSink {
  const ref = parseReference(refText);
  return {
    async putBlob(desc, open, sources = []) {
      for (const src of sources) {
        const slash = src.indexOf('/');
        const [registry, repo] = [src.slice(0, slash), src.slice(slash + 1)];
        if (registry === ref.registry && repo !== ref.repository && (await client.mountBlob(ref, repo, desc.digest).catch(() => false))) return;
      }
      await client.pushBlob(ref, desc.digest, desc.size, open);
    },
    async putManifest(bytes) {
      return client.putManifest(ref, ref.digest || ref.tag || 'latest', bytes, OCI_MANIFEST);
    },
  };
}

