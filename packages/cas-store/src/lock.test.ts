// The store lock: one holder at a time, across processes (a directory) and
// within one (a queue, so a second holder in the same build does not sleep a
// poll interval on its own process's lock).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { spawn } from 'node:child_process';
import { acquireStoreLock, pidAlive, withStoreLock } from './lock.ts';
import { sh } from '../../../tests/helpers/cli.ts';

const made: string[] = [];
const temp = async () => {
  const d = await fs.mkdtemp(path.join(tmpdir(), 'lock-test-'));
  made.push(d);
  return d;
};
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('holders in one process take turns, first come first served', async () => {
  const store = await temp();
  const log: string[] = [];
  let inside = 0;
  const work = (id: number) => withStoreLock(store, 'gc', async () => {
    inside++;
    assert.is(inside, 1, 'one holder at a time');
    log.push(`in ${id}`);
    await pause(id % 2 ? 5 : 1);
    log.push(`out ${id}`);
    inside--;
    return id;
  });
  assert.equal(await Promise.all([1, 2, 3, 4, 5].map(work)), [1, 2, 3, 4, 5]);
  assert.equal(log, [1, 2, 3, 4, 5].flatMap((i) => [`in ${i}`, `out ${i}`]));
  assert.equal(await fs.readdir(path.join(store, 'run')), [], 'the lock directory is gone');
});

test('a failing holder passes the turn on', async () => {
  const store = await temp();
  const first = withStoreLock(store, 'gc', async () => {
    throw new Error('boom');
  });
  const second = withStoreLock(store, 'gc', async () => 'ran');
  await first.then(() => assert.unreachable(), (err: Error) => assert.is(err.message, 'boom'));
  assert.is(await second, 'ran');
});

test('a held lock (acquire/release) queues others; a canceled waiter leaves the queue intact', async () => {
  const store = await temp();
  const release = await acquireStoreLock(store, 'step-x');
  const abort = new AbortController();
  const canceled = acquireStoreLock(store, 'step-x', abort.signal);
  let third = false;
  const after = acquireStoreLock(store, 'step-x').then((r) => {
    third = true;
    return r;
  });
  abort.abort();
  await canceled.then(() => assert.unreachable('canceled waiter got the lock'), (err: Error) => assert.match(err.message, /canceled while waiting for step-x/));
  await pause(30);
  assert.not.ok(third, 'still held by the first');
  await release();
  const r3 = await after;
  assert.ok(third);
  await r3();
});

test('a build canceled before it asks for a lock gets a canceled error, not an unhandled rejection', async () => {
  const store = await temp();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const abort = new AbortController();
    abort.abort();
    await acquireStoreLock(store, 'step-y', abort.signal).then(() => assert.unreachable('got the lock'), (err: Error) => assert.match(err.message, /canceled while waiting for step-y/));
    await pause(20);
    assert.equal(unhandled, []);
    // nothing held: the next caller gets it at once
    const release = await acquireStoreLock(store, 'step-y');
    await release();
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('another process waits for the lock directory', async () => {
  const store = await temp();
  const release = await acquireStoreLock(store, 'gc');
  assert.is((await fs.readFile(path.join(store, 'run', 'gc.lock', 'pid'), 'utf8')).trim(), String(process.pid));
  // cas-store gc runs under the same lock: it may only finish after we release
  let finished = 0;
  const gc = sh(`cas-store --store ${store} gc`).then((r) => {
    finished = Date.now();
    return r;
  });
  await pause(500);
  assert.is(finished, 0, 'the other process waits');
  const releasedAt = Date.now();
  await release();
  const r = await gc;
  assert.is(r.code, 0, r.stderr);
  assert.ok(finished >= releasedAt, 'it finished after the release');
});

test('a zombie (killed, not yet reaped) is not alive; a running process is', async () => {
  // the background sleep's parent execs a long sleep that never reaps it
  const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const pid = Number(await new Promise<string>((r) => parent.stdout.once('data', (d) => r(String(d)))));
    assert.ok(pidAlive(pid), 'running');
    await pause(300);
    process.kill(pid, 0); // still there, as a zombie
    assert.not.ok(pidAlive(pid), 'a zombie');
    assert.ok(pidAlive(parent.pid as number));
  } finally {
    parent.kill('SIGKILL');
  }
  assert.not.ok(pidAlive(0));
});

test.run();
