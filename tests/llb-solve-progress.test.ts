// Black-box: scheduling and progress — independent stages overlap in time,
// cancellation cleans up, and plain output matches a golden transcript.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, sh, tempDir, listFiles } from './helpers/cli.ts';
import { busyboxContext, vertices } from './helpers/busybox-context.ts';
import { pidAlive, pidInName } from '@pipekit/cas-store';
import { ociRuntime } from '@pipekit/wire';

test('independent stages run at the same time', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext([
    'FROM bb AS a', 'RUN sleep 1 && echo a > /a',
    'FROM bb AS b', 'RUN sleep 1 && echo b > /b',
    'FROM bb', 'COPY --from=a /a /a', 'COPY --from=b /b /b',
  ].join('\n'));
  const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress rawjson --max-parallelism 2`, { cwd: ctx });
  assert.is(r.code, 0, r.stderr);
  const v = vertices(r.stderr);
  const a = v.get('[a 1/1] RUN sleep 1 && echo a > /a');
  const b = v.get('[b 1/1] RUN sleep 1 && echo b > /b');
  assert.ok(a?.started && a.completed && b?.started && b.completed, 'both stages ran');
  const overlap = Math.min(Date.parse(a.completed), Date.parse(b.completed)) - Math.max(Date.parse(a.started), Date.parse(b.started));
  assert.ok(overlap > 500, `the two RUN steps overlap by ${overlap} ms`);
});

test('a RUN starts on the files of the RUN before it while that layer is still being packed', async () => {
  const store = await tempDir('store');
  // 64 MB that does not compress: packing and hashing it takes a good part of a second
  const ctx = await busyboxContext('FROM bb\nRUN head -c 67108864 /dev/urandom > /big\nRUN echo next > /next');
  const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress rawjson`, { cwd: ctx });
  assert.is(r.code, 0, r.stderr);
  const next = vertices(r.stderr).get('[stage-1 2/2] RUN echo next > /next');
  assert.ok(next?.started && next.completed, 'the second step ran');
  const layers = (JSON.parse(r.stdout.toString()) as { layers: { blob: { digest: string; size: number } }[] }).layers;
  const big = layers[layers.length - 2].blob;
  assert.ok(big.size > 64 << 20, 'the big layer is in the image');
  // the blob is renamed into place once packed
  const written = (await fs.stat(path.join(store, 'blobs', 'sha256', big.digest.slice(7)))).mtimeMs;
  const started = Date.parse(next.started);
  assert.ok(written > started, `the next step started ${(written - started).toFixed(0)} ms before the blob was written`);
});

test('a rebuild with --no-cache that makes the same layers leaves one snapshot per layer', async () => {
  const store = await tempDir('store');
  // COPY keeps the files' times: the same layers again (a RUN's new files, or a
  // parent dir COPY makes, would have new times)
  const ctx = await busyboxContext('FROM scratch\nCOPY busybox /one\nCOPY busybox /two');
  const snapshots = async () => (await fs.readdir(path.join(store, 'snapshots'))).filter((n) => /^[0-9a-f]{10}$/.test(n)).sort();
  const build = (flags: string) => sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress quiet ${flags}`, { cwd: ctx });
  assert.is((await build('')).code, 0);
  const before = await snapshots();
  const again = await build('--no-cache');
  assert.is(again.code, 0, again.stderr);
  assert.equal(await snapshots(), before, 'the same layers, the same snapshots');
});

/** llb-solve running `RUN echo started && sleep 60` on a fresh store, once the step has started. */
async function startLongStep(detached: boolean) {
  const store = await tempDir('store');
  const ctx = await busyboxContext('FROM bb\nRUN echo started && sleep 60');
  const graph = path.join(ctx, 'graph.ndjson');
  assert.is((await sh(`df-parse Dockerfile --store ${store} > ${graph}`, { cwd: ctx })).code, 0);
  const bin = (await sh('command -v llb-solve')).stdout.toString().trim();
  const child = spawn(bin, ['--store', store, '--progress', 'rawjson', graph], { cwd: ctx, detached, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  await new Promise<void>((resolve) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      if (err.includes('c3RhcnRlZA')) resolve(); // base64 of "started"
    });
  });
  return { store, child, exited };
}

test('cancellation stops the container and leaves no mounts or temp files', async () => {
  const { store, child, exited } = await startLongStep(true);
  process.kill(-(child.pid as number), 'SIGINT');
  const code = await exited;
  assert.ok(code !== 0, 'exit code says it did not finish');
  const mounts = await fs.readFile('/proc/self/mounts', 'utf8');
  assert.not.ok(mounts.includes(store), 'no mounts left');
  // other tests may run containers at the same time: only this llb-solve's count
  assert.equal(await containersOf(child.pid as number), [], 'no containers left');
  assert.equal(await listFiles(path.join(store, 'tmp')), []);
  assert.equal(await fs.readdir(path.join(store, 'snapshots', 'tmp')).catch(() => []), []);
});

test('Ctrl-C during a long COPY of the context stops it there: canceled, nothing half-written left', async () => {
  const store = await tempDir('store');
  const ctx = await tempDir('big-ctx');
  await fs.writeFile(path.join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY . /ctx/\n');
  // 40,000 files: the copy takes a second or more, checked every 512 entries;
  // on a loaded machine (CI runs Node and Deno at once) half of that has been
  // over before the interrupt arrived
  for (let d = 0; d < 200; d++) {
    await fs.mkdir(path.join(ctx, `d${d}`));
    await Promise.all(Array.from({ length: 200 }, (_, f) => fs.writeFile(path.join(ctx, `d${d}`, `f${f}`), `${d}/${f}\n`)));
  }
  const graph = path.join(store, '..', `${path.basename(store)}.graph`);
  assert.is((await sh(`df-parse Dockerfile > ${graph}`, { cwd: ctx })).code, 0);
  const bin = (await sh('command -v llb-solve')).stdout.toString().trim();
  const child = spawn(bin, ['--store', store, '--progress', 'rawjson', graph], { cwd: ctx, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (d) => {
      err += d;
      // the copy has started: its key (a checksum of every file) is known
      if (vertices(err.slice(0, err.lastIndexOf('\n') + 1)).get('[1/1] COPY . /ctx/')?.started) resolve();
    });
  });
  process.kill(-(child.pid as number), 'SIGINT');
  const code = await exited;
  try {
    assert.ok(code !== 0, 'exit code says it did not finish');
    assert.is(vertices(err).get('[1/1] COPY . /ctx/')?.error, 'canceled');
    assert.equal(await listFiles(path.join(store, 'tmp')), []);
    assert.equal(await fs.readdir(path.join(store, 'snapshots', 'tmp')).catch(() => []), []);
    assert.equal((await fs.readdir(path.join(store, 'cache')).catch(() => [])).length, 0, 'no cache record of the canceled step');
  } finally {
    await fs.rm(ctx, { recursive: true, force: true });
    await fs.rm(graph, { force: true });
  }
});

/** Containers whose bundle names `pid`. */
async function containersOf(pid: number): Promise<{ id: string; bundle: string }[]> {
  const ps = await sh(`${ociRuntime().bin} --root ${ociRuntime().root} list --format json`);
  return (JSON.parse(ps.stdout.toString() || 'null') ?? []).filter((c: { bundle: string }) => pidInName(path.basename(c.bundle)) === pid);
}

/** The pid, among `root` and its descendants, that owns a running container. */
async function solverPid(root: number): Promise<number> {
  const ps = await sh(`${ociRuntime().bin} --root ${ociRuntime().root} list --format json`);
  for (const c of JSON.parse(ps.stdout.toString() || 'null') ?? []) {
    const pid = pidInName(path.basename(c.bundle));
    for (let p = pid; p && p > 1; ) {
      if (p === root) return pid as number;
      const status = await fs.readFile(`/proc/${p}/status`, 'utf8').catch(() => '');
      p = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    }
  }
  throw new Error(`no container of process ${root}`);
}

test('the runtime state a killed llb-solve leaves is removed by the next one', async () => {
  const { store, child, exited } = await startLongStep(false);
  // the llb-solve process itself (under Deno the bin may be a wrapper around it)
  const pid = await solverPid(child.pid as number);
  process.kill(pid, 'SIGKILL');
  if (pid !== child.pid) process.kill(child.pid as number, 'SIGKILL');
  await exited;
  assert.is((await containersOf(pid)).length, 1, 'SIGKILL leaves the runtime state (the wrapper\'s parent-death signal stopped the processes)');
  const next = await busyboxContext('FROM bb\nRUN echo next > /next');
  const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress quiet > /dev/null`, { cwd: next });
  assert.is(r.code, 0, r.stderr);
  assert.equal(await containersOf(pid), [], 'the next llb-solve removed it');
});

/** Mask what changes between runs: durations and log times. */
function mask(s: string): string {
  return s.replace(/ DONE \d+\.\ds/g, ' DONE X.Xs').replace(/^(#\d+) \d+\.\d+ /gm, '$1 T ');
}

test('plain progress matches the golden transcripts', async () => {
  const fixture = path.join(ROOT, 'tests', 'fixtures', 'plain-progress');
  const store = await tempDir('store');
  const ctx = await tempDir('ctx');
  await fs.copyFile(path.join(fixture, 'Dockerfile'), path.join(ctx, 'Dockerfile'));
  await fs.copyFile('/bin/busybox', path.join(ctx, 'busybox'));
  const run = () => sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress plain`, { cwd: ctx });
  const first = await run();
  assert.is(first.code, 0, first.stderr);
  assert.fixture(mask(first.stderr), await fs.readFile(path.join(fixture, 'expected-first'), 'utf8'));
  const second = await run();
  assert.fixture(mask(second.stderr), await fs.readFile(path.join(fixture, 'expected-cached'), 'utf8'));
});

test.run();
