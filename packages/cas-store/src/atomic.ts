// Small files (indexes, cache records) are written to a temp name and renamed,
// so a reader or a crash never sees half a record. Temp names carry the pid, so
// leftovers of a killed process can be told from another process's live writes.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

/** `<base>.tmp-<pid>-<random>`: the temp name for an atomic write of `base`. */
export function tempName(base: string): string {
  return `${base}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value)}\n`);
}

/** Create `file` only if it does not exist yet (link is atomic); false when another writer was first. */
export async function createFileExclusive(file: string, data: string | Uint8Array): Promise<boolean> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  try {
    await fs.writeFile(tmp, data);
    await fs.link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Read JSON, or undefined when the file does not exist or is unreadable (treated as absent). */
export async function readJsonMaybe<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
