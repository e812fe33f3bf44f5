// RUN --mount=type=cache: a directory in the store that outlives builds and is
// never part of a layer. sharing=shared lets every step use it at once; locked
// makes other steps (in this or another llb-solve process) wait; private gives
// a step a fresh, throwaway copy while another one holds the cache.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { BuildError, PipekitError, runCommand, type Mount } from '@pipekit/wire';
import type { Store } from '@pipekit/cas-store';

export type CacheMountHandle = { dir: string; release: () => Promise<void> };

const POLL_MS = 100;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock directory (mkdir is atomic) holding the owner's pid; stale locks of dead processes are broken. */
async function tryLock(lock: string): Promise<boolean> {
  try {
    await fs.mkdir(lock);
    await fs.writeFile(path.join(lock, 'pid'), String(process.pid));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const pid = Number(await fs.readFile(path.join(lock, 'pid'), 'utf8').catch(() => ''));
    const stat = await fs.stat(lock).catch(() => undefined);
    // no pid yet: the owner is between mkdir and writeFile, unless that was long ago
    const stale = pid ? !alive(pid) : stat !== undefined && Date.now() - stat.mtimeMs > 5000;
    if (stale) await fs.rm(lock, { recursive: true, force: true });
    return false;
  }
}

async function seed(into: string, from: string | undefined): Promise<void> {
  await fs.mkdir(into, { recursive: true, mode: 0o755 });
  if (!from) return;
  const st = await fs.stat(from).catch(() => undefined);
  if (st?.isDirectory()) {
    const res = await runCommand('cp', ['-a', `${from}/.`, into]);
    if (res.code !== 0) throw new PipekitError(`cannot seed cache mount from ${from}: ${res.stderr.trim() || `exit ${res.code}`}`);
    await fs.chmod(into, st.mode & 0o7777);
    await fs.chown(into, st.uid, st.gid);
  }
}

/**
 * Get the directory for a cache mount. `seedFrom` (a host path: the `from`/`source`
 * content, or the prepared mode/uid/gid dir) fills a cache that does not exist yet.
 */
export async function acquireCacheMount(store: Store, m: Mount, seedFrom: string | undefined, signal: AbortSignal): Promise<CacheMountHandle> {
  const id = m.cache?.id || m.dest;
  const sharing = m.cache?.sharing ?? 'shared';
  const root = path.join(store.dir, 'cachemounts');
  const key = createHash('sha256').update(id).digest('hex').slice(0, 16);
  const data = path.join(root, key);
  const lock = path.join(root, `${key}.lock`);
  await fs.mkdir(root, { recursive: true });

  const ensure = async () => {
    if (await fs.stat(data).then(() => true, () => false)) return;
    // build it aside and rename, so two processes never both seed into it
    const tmp = path.join(root, `.new-${randomBytes(6).toString('hex')}`);
    await seed(tmp, seedFrom);
    await fs.writeFile(`${data}.json`, JSON.stringify({ id, createdAt: new Date().toISOString() }));
    await fs.rename(tmp, data).catch(async () => fs.rm(tmp, { recursive: true, force: true }));
  };
  const unlock = async () => {
    await fs.rm(lock, { recursive: true, force: true });
  };

  if (sharing === 'shared') {
    await ensure();
    return { dir: data, release: async () => {} };
  }
  if (sharing === 'private') {
    if (await tryLock(lock)) {
      await ensure();
      return { dir: data, release: unlock };
    }
    const tmp = path.join(root, `.private-${randomBytes(6).toString('hex')}`);
    await seed(tmp, (await fs.stat(data).then(() => true, () => false)) ? undefined : seedFrom);
    return { dir: tmp, release: () => fs.rm(tmp, { recursive: true, force: true }) };
  }
  // locked: wait for the holder (maybe another build) to finish
  while (!(await tryLock(lock))) {
    if (signal.aborted) throw new BuildError(`canceled while waiting for cache mount ${JSON.stringify(id)}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  try {
    await ensure();
  } catch (err) {
    await unlock();
    throw err;
  }
  return { dir: data, release: unlock };
}
