// The cas-store CLI's verbs as library calls.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { hostPlatform, parsePlatform, UsageError } from '@pipekit/wire';
import { Store } from './store.ts';
import { resolveImage, ensureImageLayers } from './images.ts';
import { RegistryClient } from './registry/client.ts';

async function dirSize(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        files++;
        bytes += (await fs.lstat(p)).size;
      }
    }
  };
  await walk(dir);
  return { files, bytes };
}

export async function storeInfo(storeFlag?: string): Promise<Record<string, unknown>> {
  const store = await Store.open(storeFlag);
  const blobs = await store.blobs.list();
  let blobBytes = 0;
  for (const b of blobs) blobBytes += await store.blobs.size(b);
  const snapshots = (await fs.readdir(store.snapshots.root)).filter((n) => /^[0-9a-f]{10}$/.test(n));
  return {
    store: store.dir,
    blobs: { count: blobs.length, bytes: blobBytes },
    snapshots: { count: snapshots.length, ...(await dirSize(store.snapshots.root)) },
    cacheRecords: (await fs.readdir(store.cache.root)).filter((n) => n.endsWith('.json')).length,
  };
}

export async function pullCommand(ref: string, opts: { store?: string; platform?: string; insecureRegistries?: string[]; registryCAs?: string[] }): Promise<string> {
  const store = await Store.open(opts.store);
  const platform = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  const client = new RegistryClient({ insecureRegistries: opts.insecureRegistries, registryCAs: opts.registryCAs });
  const img = await resolveImage(store, ref, platform, { client });
  await ensureImageLayers(store, img, { client });
  return img.manifestDigest;
}

export async function putCommand(input: AsyncIterable<Uint8Array>, storeFlag?: string): Promise<string> {
  const store = await Store.open(storeFlag);
  return (await store.blobs.put(input)).digest;
}

export async function catCommand(digest: string, storeFlag: string | undefined, out: NodeJS.WritableStream & { isTTY?: boolean }): Promise<void> {
  const store = await Store.open(storeFlag);
  const head = Buffer.alloc(0);
  let checked = false;
  for await (const chunk of store.blobs.open(digest)) {
    if (!checked && out.isTTY) {
      // text (JSON manifests and configs) may go to a terminal, binary may not
      const sample = Buffer.concat([head, Buffer.from(chunk)]).subarray(0, 8000);
      if (sample.includes(0)) throw new UsageError('refusing to write binary data to a terminal: redirect stdout');
    }
    checked = true;
    await new Promise<void>((resolve, reject) => out.write(chunk, (err) => (err ? reject(err) : resolve())));
  }
}
