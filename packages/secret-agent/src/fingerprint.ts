// `--secret ...,cache=content`: the value takes part in cache keys as an
// HMAC-SHA256 under a random per-store key (kept 0600 beside the cache), so the
// stored keys change with the value but cannot be checked against guesses
// without that key, and never contain the value.
import { createHmac, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const FINGERPRINT_KEY_FILE = 'secret-cache.key';

/** Read the key in `dir`, creating it (32 random bytes, mode 0600) the first time. */
export async function fingerprintKey(dir: string): Promise<Buffer> {
  const file = path.join(dir, FINGERPRINT_KEY_FILE);
  const existing = await fs.readFile(file).catch(() => undefined);
  if (existing?.length === 32) return existing;
  const key = randomBytes(32);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, key, { mode: 0o600, flag: 'wx' });
  try {
    // link fails if another process created the key first: use theirs
    await fs.link(tmp, file);
    return key;
  } catch {
    return await fs.readFile(file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

export function contentFingerprint(key: Uint8Array, id: string, value: Uint8Array): string {
  return `hmac-sha256:${createHmac('sha256', key).update(id).update('\0').update(value).digest('hex')}`;
}
