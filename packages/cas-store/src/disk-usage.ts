// Bytes under a directory: regular file sizes plus symlink lengths (apparent
// size, the same on every filesystem), hard links counted once.
import { promises as fs, readdirSync, type Dirent } from 'node:fs';
import { lstatMaybe } from '@pipekit/wire';
import path from 'node:path';

export async function dirBytes(dir: string): Promise<number> {
  let bytes = 0;
  const seen = new Set<string>();
  // sync calls: a thread-pool round trip per entry costs more than the lstat
  const walk = (d: string) => {
    for (const e of readdirMaybe(d)) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      const st = lstatMaybe(p);
      if (!st) continue;
      if (st.nlink > 1) {
        const k = `${st.dev}:${st.ino}`;
        if (seen.has(k)) continue;
        seen.add(k);
      }
      bytes += st.size;
    }
  };
  walk(dir);
  return bytes;
}

function readdirMaybe(d: string): Dirent[] {
  try {
    return readdirSync(d, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Size and free space of the filesystem holding `dir` (statfs). */
export async function diskStat(dir: string): Promise<{ total: number; free: number } | undefined> {
  try {
    const s = await fs.statfs(dir);
    return { total: s.blocks * s.bsize, free: s.bavail * s.bsize };
  } catch {
    return undefined;
  }
}

/** Newest of mtime and ctime (a rename updates ctime): when an entry last changed. */
export function changedAt(p: string): number | undefined {
  const st = lstatMaybe(p);
  return st ? Math.max(st.mtimeMs, st.ctimeMs) : undefined;
}
