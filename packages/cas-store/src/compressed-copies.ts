// export-oci keeps compressed copies of uncompressed layers in the store, one
// small mapping file per layer and variant ({digest, size} of the blob):
// layers/gzip/<diffID hex>.json (older layout) and
// export-oci/layers/<variant>/<diffID hex>.json. They belong to their layer for
// du, prune and fsck.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Every directory that holds mapping files. */
export function mappingDirs(storeDir: string): string[] {
  const out = [path.join(storeDir, 'layers', 'gzip')];
  const variants = path.join(storeDir, 'export-oci', 'layers');
  let names: string[] = [];
  try {
    names = readdirSync(variants);
  } catch {
    // no export has kept a copy yet
  }
  for (const v of names) out.push(path.join(variants, v));
  return out;
}

/** Mapping files of one layer that exist. */
export function mappingFiles(dirs: string[], diffID: string): string[] {
  const name = `${diffID.replace(/^sha256:/, '')}.json`;
  return dirs.map((d) => path.join(d, name)).filter((f) => existsSync(f));
}
