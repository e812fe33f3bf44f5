// export-oci keeps compressed copies of uncompressed layers in the store, one
// small mapping file per layer and variant ({digest, size} of the blob):
// layers/gzip/<diffID hex>.json (older layout) and
// export-oci/layers/<variant>/<diffID hex>.json. They belong to their layer for
// du, prune and fsck.
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Every directory that holds mapping files. */
export async function mappingDirs(storeDir: string): Promise<string[]> {
  const out = [path.join(storeDir, 'layers', 'gzip')];
  const variants = path.join(storeDir, 'export-oci', 'layers');
  for (const v of await fs.readdir(variants).catch(() => [] as string[])) out.push(path.join(variants, v));
  return out;
}

/** Mapping files of one layer that exist. */
export async function mappingFiles(dirs: string[], diffID: string): Promise<string[]> {
  const name = `${diffID.replace(/^sha256:/, '')}.json`;
  const out: string[] = [];
  for (const d of dirs) {
    const f = path.join(d, name);
    if (await fs.access(f).then(() => true, () => false)) out.push(f);
  }
  return out;
}
