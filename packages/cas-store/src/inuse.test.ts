import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Lease, currentLease, markInUse, readInUse } from './inuse.ts';
import { acquireStoreLock, pidInName, withStoreLock } from './lock.ts';

test('a lease records what a build uses; markers of dead processes are dropped', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inuse-'));
  const store = { dir };
  await markInUse(store, 'layer', ['sha256:ignored']); // no lease: nothing happens
  const lease = await Lease.begin(store);
  assert.is(currentLease(store), lease);
  await markInUse(store, 'layer', ['sha256:a', 'sha256:b']);
  await markInUse(store, 'key', ['sha256:k']);
  await markInUse(store, 'layer', ['sha256:a']);
  assert.equal(lease.marked('layer'), ['sha256:a', 'sha256:b']);
  await fs.writeFile(path.join(dir, 'run', '999999999-deadbeef0000.inuse'), '{"pid":999999999,"startedAt":1}\n{"layer":"sha256:dead"}\n');
  const set = await readInUse(dir);
  assert.is(set.builds, 1);
  assert.ok(set.ids.layer.has('sha256:b'));
  assert.not.ok(set.ids.layer.has('sha256:dead'));
  assert.ok(set.oldestStart <= Date.now());
  assert.equal((await fs.readdir(path.join(dir, 'run'))).filter((n) => n.startsWith('999999999')), []);
  await lease.end(store);
  assert.is((await readInUse(dir)).builds, 0);
});

test('store locks exclude each other and a dead holder\'s lock is broken', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lock-'));
  const order: string[] = [];
  const release = await acquireStoreLock(dir, 'gc');
  const waiting = withStoreLock(dir, 'gc', async () => order.push('second'));
  await new Promise((r) => setTimeout(r, 100));
  order.push('first');
  await release();
  await waiting;
  assert.equal(order, ['first', 'second']);
  await fs.mkdir(path.join(dir, 'run', 'gc.lock'));
  await fs.writeFile(path.join(dir, 'run', 'gc.lock', 'pid'), '999999999');
  assert.is(await withStoreLock(dir, 'gc', async () => 'got it'), 'got it');
});

test('temp names carry the pid of their writer', () => {
  assert.is(pidInName('root-1234-AbC123'), 1234);
  assert.is(pidInName('4321-0a1b2c3d4e5f'), 4321);
  assert.is(pidInName('blob-77-0123456789abcdef'), 77);
  assert.is(pidInName('root-AbC123'), undefined);
  assert.is(pidInName('view-123456'), undefined);
});

test.run();
