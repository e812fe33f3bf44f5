// Black-box: llb-solve --cache-to / --cache-from. A cache exported from one
// store (to a directory, a registry, or inline in the image) lets an empty
// store rebuild the same graph executing no step (mode=max) or only the steps
// outside the result's chain (mode=min); cache-mounts=true restores the
// contents of RUN --mount=type=cache directories.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh, tempDir } from './helpers/cli.ts';
import { busyboxContext, executedSteps } from './helpers/busybox-context.ts';
import { startRegistry, type TestRegistry } from './helpers/registry.ts';
import { pushBusybox } from './helpers/busybox-image.ts';
import { forward, startFakeRegistry } from './helpers/fake-registry.ts';

const BODY = [
  'FROM bb AS build',
  // the build stage's layer holds more than the COPY takes from it: not part of the result's chain
  'RUN echo built > /out.txt && touch /built',
  'FROM bb',
  'ARG N=0',
  'COPY --from=build /out.txt /out.txt',
  'RUN --mount=type=cache,target=/var/cache/app,id=appcache cat /var/cache/app/data 2>/dev/null; echo run$N >> /var/cache/app/data; cat /out.txt > /res.txt',
].join('\n');

let ctx: string;
let registry: TestRegistry | undefined;
test.before(async () => {
  ctx = await busyboxContext(BODY);
});
test.after(async () => {
  await registry?.stop();
});

type Build = { code: number; err: string; images: { layers: { diffID: string }[] }[]; logs: string };

async function build(store: string, extra: string, args = ''): Promise<Build> {
  const r = await sh(`df-parse Dockerfile --store ${store} ${args} | llb-solve --store ${store} --progress rawjson ${extra}`, { cwd: ctx });
  const images = r.stdout.toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  let logs = '';
  for (const line of r.stderr.split('\n')) {
    if (line.startsWith('{')) for (const l of (JSON.parse(line) as { logs?: { data: string }[] }).logs ?? []) logs += Buffer.from(l.data, 'base64').toString();
  }
  return { code: r.code, err: r.stderr, images, logs };
}

const diffIDs = (b: Build) => b.images[0].layers.map((l) => l.diffID);

test('mode=max to a directory: an empty store rebuilds executing no step; cache mounts restored', async () => {
  const storeA = await tempDir('store');
  const dest = await tempDir('cache');
  const a = await build(storeA, `--cache-to type=local,dest=${dest},mode=max,cache-mounts=true`);
  assert.is(a.code, 0, a.err);
  assert.match(a.err, /exported cache to .*: \d+ records, \d+ layers, 1 cache mounts/);
  const index = JSON.parse(await fs.readFile(path.join(dest, 'index.json'), 'utf8'));
  const manifest = JSON.parse(await fs.readFile(path.join(dest, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8'));
  assert.is(manifest.config.mediaType, 'application/vnd.buildkit.cacheconfig.v0');
  assert.is(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'latest');

  const storeB = await tempDir('store');
  const b = await build(storeB, `--cache-from type=local,src=${dest}`);
  assert.is(b.code, 0, b.err);
  assert.equal(executedSteps(b.err), [], 'every step came from the imported cache');
  assert.equal(diffIDs(b), diffIDs(a), 'same layers');
  const fsck = await sh(`cas-store fsck --store ${storeB}`);
  assert.is(fsck.code, 0, fsck.stdout.toString() + fsck.stderr);

  // the cache mount came along: a step that now runs sees the first build's data
  const c = await build(storeB, `--cache-from type=local,src=${dest}`, '--build-arg N=1');
  assert.is(c.code, 0, c.err);
  assert.equal(executedSteps(c.err).length, 1, executedSteps(c.err).join(', '));
  assert.match(c.logs, /run0/);
});

test('mode=min keeps only the chain of the result: the other stage runs again', async () => {
  const storeA = await tempDir('store');
  const dest = await tempDir('cache');
  const a = await build(storeA, `--cache-to type=local,dest=${dest}`);
  assert.is(a.code, 0, a.err);
  const storeB = await tempDir('store');
  const b = await build(storeB, `--cache-from type=local,src=${dest}`);
  assert.is(b.code, 0, b.err);
  const ran = executedSteps(b.err);
  assert.is(ran.length, 1, ran.join(', '));
  assert.match(ran[0], /echo built/);
  assert.equal(diffIDs(b), diffIDs(a));
});

test('mode=max to a registry, then imported by an empty store: no step executed', async () => {
  registry ??= await startRegistry();
  const ref = `${registry.host}/cache/app:buildcache`;
  const storeA = await tempDir('store');
  const a = await build(storeA, `--cache-to type=registry,ref=${ref},mode=max`);
  assert.is(a.code, 0, a.err);
  const storeB = await tempDir('store');
  const b = await build(storeB, `--cache-from type=registry,ref=${ref}`);
  assert.is(b.code, 0, b.err);
  assert.equal(executedSteps(b.err), []);
  assert.equal(diffIDs(b), diffIDs(a));
});

test('registry cache of a build FROM a registry image: base layers mounted across repositories, not uploaded', async () => {
  registry ??= await startRegistry();
  const upstream = registry.host;
  await pushBusybox(upstream, 'base/busybox:1');
  const requests: string[] = [];
  const front = await startFakeRegistry(async (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    await forward(req, res, `http://${upstream}`);
  });
  try {
    const dir = await tempDir('ctx');
    await fs.writeFile(path.join(dir, 'Dockerfile'), `FROM ${front.host}/base/busybox:1\nRUN echo hi > /hi.txt\n`);
    const storeA = await tempDir('store');
    const a = await sh(`df-parse Dockerfile --store ${storeA} | llb-solve --store ${storeA} --progress quiet --cache-to type=registry,ref=${front.host}/cache/app:1,mode=max`, { cwd: dir });
    assert.is(a.code, 0, a.stderr);
    const img = JSON.parse(a.stdout.toString()) as { layers: { blob: { digest: string } }[] };
    const base = img.layers[0].blob.digest;
    assert.ok(requests.some((r) => r.startsWith(`POST /v2/cache/app/blobs/uploads/?mount=${encodeURIComponent(base)}&from=base%2Fbusybox`)), requests.join('\n'));
    assert.not.ok(requests.some((r) => r.startsWith('PUT') && r.includes(base)), 'the base layer was not uploaded again');
    const storeB = await tempDir('store');
    const b = await sh(`df-parse Dockerfile --store ${storeB} | llb-solve --store ${storeB} --progress rawjson --cache-from ${front.host}/cache/app:1`, { cwd: dir });
    assert.is(b.code, 0, b.stderr);
    assert.equal(executedSteps(b.stderr), []);
  } finally {
    await front.stop();
  }
});

test('inline cache: pushed image carries its records; an empty store reuses the result chain', async () => {
  registry ??= await startRegistry();
  const storeA = await tempDir('store');
  const out = path.join(await tempDir('out'), 'app.tar');
  const r = await sh(`df-parse Dockerfile --store ${storeA} | llb-solve --store ${storeA} --progress quiet --cache-to type=inline | export-oci --dest ${out}`, { cwd: ctx });
  assert.is(r.code, 0, r.stderr);
  const push = await sh(`skopeo copy -q --dest-tls-verify=false oci-archive:${out} docker://${registry.host}/app/inline:1`);
  assert.is(push.code, 0, push.stderr);
  const storeB = await tempDir('store');
  const b = await build(storeB, `--cache-from ${registry.host}/app/inline:1`);
  assert.is(b.code, 0, b.err);
  const ran = executedSteps(b.err);
  assert.is(ran.length, 1, ran.join(', '));
  assert.match(ran[0], /echo built/);
});

test('bad cache specs are usage errors; a missing cache to import is only a warning', async () => {
  const store = await tempDir('store');
  const bad = await build(store, '--cache-to type=inline,mode=max');
  assert.is(bad.code, 2);
  assert.match(bad.err, /inline cache supports only mode=min/);
  const missing = await build(store, `--cache-from type=local,src=${path.join(store, 'nope')}`);
  assert.is(missing.code, 0, missing.err);
  assert.match(missing.err, /importing cache .*nope: .*not an OCI layout/);
});

test.run();
