// Small files (indexes, cache records) are written to a temp name and renamed,
// so a reader or a crash never sees half a record. Temp names carry the pid, so
// leftovers of a killed process can be told from another process's live writes.
// The calls are synchronous: for a record of a few hundred bytes, each
// thread-pool round trip costs more than the call, and a cached step reads and
// writes several (the promises stay, for callers and for larger files later).
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

/** `<base>.tmp-<pid>-<random>`: the temp name for an atomic write of `base`. */
export function tempName(base: string): string {
  return `${base}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempName(file);
  try {
    try {
      writeFileSync(tmp, data);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(tmp, data);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value)}\n`);
}

/** Create `file` only if it does not exist yet (link is atomic); false when another writer was first. */
export async function createFileExclusive(file: string, data: string | Uint8Array): Promise<boolean> {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  try {
    writeFileSync(tmp, data);
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Read JSON, or undefined when the file does not exist or is unreadable (treated as absent). */
export async function readJsonMaybe<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
