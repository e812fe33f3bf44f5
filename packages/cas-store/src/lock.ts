// A cross-process mutex on the store: a directory created with mkdir (atomic)
// holding the owner's pid. A lock whose owner died (SIGKILL) is broken by the
// next process that wants it, so a crash never wedges the store.
import { mkdirSync, promises as fs, readFileSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { PipekitError } from '@pipekit/wire';

const POLL_MS = 20;

/** Is a process with this pid running (EPERM still means it exists)? */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !zombie(pid);
}

/**
 * A killed process stays a zombie until its parent reaps it, which an orphan's
 * new parent (pid 1) may do late: it no longer runs and holds nothing.
 */
function zombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // no /proc: signal 0 is all there is to go by
    return false;
  }
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state === 'Z' || state === 'X';
}

/** The pid embedded in a temp name such as `root-1234-ab12cd` or `1234-ab12cd`; undefined when none. */
export function pidInName(name: string): number | undefined {
  const m = /(?:^|[-.])(\d{1,10})-[0-9a-zA-Z]{6,}$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

// run/ is made once per process, not before every lock (a build takes several per step)
const runDirs = new Set<string>();
async function ensureRunDir(lockDir: string): Promise<void> {
  const run = path.dirname(lockDir);
  if (runDirs.has(run)) return;
  await fs.mkdir(run, { recursive: true });
  runDirs.add(run);
}

// The uncontended path is synchronous: a lock is taken around every layer
// commit, and three thread-pool trips cost more than the calls themselves.
async function tryLock(dir: string): Promise<boolean> {
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      // run/ was removed after this process made it
      await fs.mkdir(path.dirname(dir), { recursive: true });
      return tryLock(dir);
    }
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const pid = Number(await fs.readFile(path.join(dir, 'pid'), 'utf8').catch(() => ''));
    const st = await fs.stat(dir).catch(() => undefined);
    // no pid yet: the owner is between mkdir and writeFile, unless that was long ago
    const stale = pid ? !pidAlive(pid) : st !== undefined && Date.now() - st.mtimeMs > 5000;
    if (stale) await fs.rm(dir, { recursive: true, force: true });
    return false;
  }
  writeFileSync(path.join(dir, 'pid'), String(process.pid));
  return true;
}

function unlock(dir: string): void {
  try {
    unlinkSync(path.join(dir, 'pid'));
    rmdirSync(dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Holders in this process queue here, in order, and only the one at the head
// contends for the lock directory: a second step of the same build would
// otherwise find its own process's lock and sleep a poll interval (~20 ms).
const turns = new Map<string, Promise<void>>();

/** Wait for this process's turn at `dir`; resolves to the call that ends the turn. */
async function inProcessTurn(dir: string, signal?: AbortSignal): Promise<() => void> {
  const before = turns.get(dir) ?? Promise.resolve();
  let end: () => void = () => {};
  const mine = new Promise<void>((r) => (end = r));
  const tail = before.then(() => mine);
  turns.set(dir, tail);
  const finish = () => {
    end();
    if (turns.get(dir) === tail) turns.delete(dir);
  };
  if (signal) {
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new PipekitError('canceled'));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      if (signal.aborted) throw new PipekitError('canceled');
      await Promise.race([before, aborted]);
    } catch (err) {
      // our place in the queue passes on once the ones before us are done
      void before.then(finish);
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  } else await before;
  return finish;
}

/**
 * Take the store lock `name` and keep it until release() (for as long as a step
 * runs); waits with growing pauses, gives up when `signal` aborts.
 */
export async function acquireStoreLock(storeDir: string, name: string, signal?: AbortSignal): Promise<() => Promise<void>> {
  const dir = path.join(storeDir, 'run', `${name}.lock`);
  // in the queue from the moment of the call: first come, first served
  const turn = inProcessTurn(dir, signal);
  // a build canceled already rejects it at once: handled below, after the await
  turn.catch(() => undefined);
  await ensureRunDir(dir);
  const endTurn = await turn.catch((err) => {
    throw new PipekitError(`canceled while waiting for ${name}`, { cause: err });
  });
  try {
    for (let pause = POLL_MS; !(await tryLock(dir)); pause = Math.min(pause * 2, 250)) {
      if (signal?.aborted) throw new PipekitError(`canceled while waiting for ${name}`);
      await new Promise((r) => setTimeout(r, pause));
    }
  } catch (err) {
    endTurn();
    throw err;
  }
  return async () => {
    unlock(dir);
    endTurn();
  };
}

/** Run `fn` holding the store lock `name` (under <store>/run/); waits for other holders. */
export async function withStoreLock<T>(storeDir: string, name: string, fn: () => Promise<T>, timeoutMs = 10 * 60_000): Promise<T> {
  const dir = path.join(storeDir, 'run', `${name}.lock`);
  const turn = inProcessTurn(dir);
  await ensureRunDir(dir);
  const endTurn = await turn;
  try {
    const deadline = Date.now() + timeoutMs;
    while (!(await tryLock(dir))) {
      if (Date.now() > deadline) throw new PipekitError(`store lock ${dir} is still held after ${Math.round(timeoutMs / 1000)} s; is another cas-store prune running?`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    try {
      return await fn();
    } finally {
      unlock(dir);
    }
  } finally {
    endTurn();
  }
}
