import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';

const runtime = await fs.mkdtemp(path.join(tmpdir(), 'bundles-test-'));
process.env.PIPEKIT_RUNTIME_DIR = runtime;
const { newBundle, sharedEtc } = await import('./bundles.ts');
const root = path.join(runtime, 'bundles');

test.after(async () => {
  await fs.rm(runtime, { recursive: true, force: true });
});

test('a new bundle sweeps those of dead processes, never a live one', async () => {
  const dead = 'b-999999999-abcdef';
  const live = `b-${process.pid}-ghijkl`;
  const oldLegacy = 'b-Abc123';
  const newLegacy = 'b-Def456';
  for (const n of [dead, live, oldLegacy, newLegacy, 'etc-999999999-mnopqr']) {
    await fs.mkdir(path.join(root, n), { recursive: true });
    await fs.writeFile(path.join(root, n, 'config.json'), '{"process":{"env":["TOKEN=secret"]}}');
  }
  const hourAgo = new Date(Date.now() - 2 * 60 * 60_000);
  await fs.utimes(path.join(root, oldLegacy), hourAgo, hourAgo);
  const b = await newBundle();
  assert.ok(path.basename(b).startsWith(`b-${process.pid}-`), b);
  const left = new Set(await fs.readdir(root));
  assert.ok(left.has(live) && left.has(newLegacy) && left.has(path.basename(b)));
  assert.not.ok(left.has(dead) || left.has(oldLegacy) || left.has('etc-999999999-mnopqr'));
});

test('hosts and resolv.conf are written once per process', async () => {
  const a = await sharedEtc('buildkitsandbox');
  const b = await sharedEtc('buildkitsandbox');
  assert.is(a.hosts, b.hosts);
  assert.match(await fs.readFile(a.hosts, 'utf8'), /127\.0\.0\.1\tlocalhost buildkitsandbox/);
  assert.ok((await fs.stat(a.resolv)).isFile());
});

test.run();
