// Black-box: `cas-store du` and `cas-store prune` with buildx's names and
// outputs, and the GC policy of <store>/buildkitd.toml run after a build.
// What a running build uses is never removed.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh, tempDir } from './helpers/cli.ts';
import { busyboxContext, executedSteps } from './helpers/busybox-context.ts';

const BODY = 'FROM bb\nARG N=0\nRUN echo one > /one.txt\nRUN --mount=type=cache,target=/c,id=gc-cache echo $N >> /c/log; echo two > /two.txt\nRUN echo three$N > /three.txt';
const DAY = 24 * 3600_000;

type DuRecord = { ID: string; Type: string; Description: string; Size: number; Reclaimable: boolean; LastUsedAt: string | null };

async function build(ctx: string, store: string, args = ''): Promise<{ code: number; err: string; out: string }> {
  const r = await sh(`df-parse Dockerfile --store ${store} ${args} | llb-solve --store ${store} --progress rawjson`, { cwd: ctx });
  return { code: r.code, err: r.stderr, out: r.stdout.toString() };
}

async function du(store: string): Promise<DuRecord[]> {
  const r = await sh(`cas-store du --store ${store} --format json`);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Set lastUsedAt of the cache records whose description matches. */
async function age(store: string, match: RegExp, msAgo: number): Promise<number> {
  let n = 0;
  const dir = path.join(store, 'cache');
  for (const f of await fs.readdir(dir)) {
    const rec = JSON.parse(await fs.readFile(path.join(dir, f), 'utf8'));
    if (!match.test(rec.description)) continue;
    rec.lastUsedAt = new Date(Date.now() - msAgo).toISOString();
    await fs.writeFile(path.join(dir, f), JSON.stringify(rec));
    n++;
  }
  return n;
}

/** Anything written in the last 2 s counts as in use; let the build's writes settle. */
const settle = () => new Promise((r) => setTimeout(r, 2500));

test('du: buildx columns, verbose blocks, JSON records with types, totals', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext(BODY);
  assert.is((await build(ctx, store)).code, 0);
  const table = await sh(`cas-store du --store ${store}`);
  assert.is(table.code, 0, table.stderr);
  const text = table.stdout.toString();
  assert.match(text, /^ID\s+RECLAIMABLE\s+SIZE\s+LAST ACCESSED$/m);
  assert.match(text, /^[0-9a-f]{16}\*\s+(true|false)\s+\S+B\s/m, 'the cache mount is mutable (*)');
  for (const label of ['Shared', 'Private', 'Reclaimable', 'Total']) assert.match(text, new RegExp(`^${label}:\\s+\\d+(\\.\\d+)?[kMG]?B$`, 'm'));
  const recs = await du(store);
  assert.ok(recs.some((r) => r.Type === 'regular' && /RUN echo one/.test(r.Description)));
  assert.ok(recs.some((r) => r.Type === 'exec.cachemount' && r.Description === 'cached mount gc-cache'));
  const verbose = await sh(`cas-store du --store ${store} --verbose`);
  assert.match(verbose.stdout.toString(), /Description:\s+\[stage-1 \d\/\d\] RUN echo one > \/one.txt\nUsage count:\s+\d+\nLast used:\s+.*ago\nType:\s+regular/);
});

test('a cached rebuild records each hit: use count up, last use now (what prune --filter until= goes by)', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext(BODY);
  assert.is((await build(ctx, store)).code, 0);
  const aged = await age(store, /./, 3 * DAY);
  const again = await build(ctx, store);
  assert.is(again.code, 0, again.err);
  assert.equal(executedSteps(again.err), [], 'all cached');
  const dir = path.join(store, 'cache');
  const recs = await Promise.all((await fs.readdir(dir)).map(async (f) => JSON.parse(await fs.readFile(path.join(dir, f), 'utf8'))));
  assert.is(recs.length, aged);
  for (const rec of recs) {
    assert.is(rec.usageCount, 2, rec.description);
    assert.ok(Date.now() - Date.parse(rec.lastUsedAt) < DAY, `${rec.description}: used now`);
  }
});

test('prune --filter until= removes only records unused for longer; type= picks cache mounts', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext(BODY);
  assert.is((await build(ctx, store)).code, 0);
  await settle();
  const noForce = await sh(`cas-store prune --store ${store}`);
  assert.is(noForce.code, 2, 'refuses without --force when stdin is not a terminal');
  const none = await sh(`cas-store prune --store ${store} --filter until=24h --force`);
  assert.is(none.stdout.toString(), 'Total:\t0B\n', 'everything was used within 24h');
  assert.is(await age(store, /RUN echo three/, 3 * DAY), 1);
  const pruned = await sh(`cas-store prune --store ${store} --filter until=24h --force --verbose`);
  assert.is(pruned.code, 0, pruned.stderr);
  const out = pruned.stdout.toString();
  assert.match(out, /Description:\s+\[stage-1 \d\/\d\] RUN echo three/);
  assert.is((out.match(/^ID:/gm) ?? []).length, 1, out);
  const after = await du(store);
  assert.not.ok(after.some((r) => /echo three/.test(r.Description)));
  assert.ok(after.some((r) => /echo one/.test(r.Description)));
  const rebuilt = await build(ctx, store);
  assert.equal(executedSteps(rebuilt.err).map((s) => s.replace(/^\[[^\]]*\] /, '')), ['RUN echo three$N > /three.txt'.replace('$N', '0')]);

  const mounts = await sh(`cas-store prune --store ${store} --filter type=exec.cachemount --force --format json`);
  const gone = mounts.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as DuRecord);
  assert.equal(gone.map((r) => r.Type), ['exec.cachemount']);
  assert.not.ok((await du(store)).some((r) => r.Type === 'exec.cachemount'));
  const fsck = await sh(`cas-store fsck --store ${store}`);
  assert.is(fsck.code, 0, fsck.stdout.toString());
});

test('--reserved-space prunes least recently used first, down to the floor', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext(BODY);
  assert.is((await build(ctx, store)).code, 0);
  await settle();
  await age(store, /RUN echo three/, 10 * DAY);
  await age(store, /RUN --mount/, 5 * DAY);
  await age(store, /RUN echo one/, 2 * DAY);
  await fs.rm(path.join(store, 'cachemounts'), { recursive: true, force: true });
  const before = await du(store);
  const total = before.reduce((s, r) => s + r.Size, 0);
  const three = before.find((r) => /echo three/.test(r.Description)) as DuRecord;
  const r = await sh(`cas-store prune --store ${store} --reserved-space ${total - three.Size}B --force --format json`);
  assert.is(r.code, 0, r.stderr);
  const deleted = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as DuRecord);
  assert.equal(deleted.map((d) => d.ID), [three.ID], 'only the least recently used record went');
  const after = await du(store);
  assert.ok(after.reduce((s, x) => s + x.Size, 0) <= total - three.Size);
  // a floor above what is there removes nothing
  const floor = await sh(`cas-store prune --store ${store} --reserved-space 10GB --force`);
  assert.is(floor.stdout.toString(), 'Total:\t0B\n');
});

test('prune --all during a build removes old unused records but nothing the build uses', async () => {
  const store = await tempDir('store');
  const other = await busyboxContext('FROM bb\nRUN echo unrelated > /u.txt');
  assert.is((await build(other, store)).code, 0);
  const ctx = await busyboxContext('FROM bb\nARG N=0\nRUN sleep 3 && echo slow$N > /slow.txt');
  assert.is((await build(ctx, store)).code, 0);
  await settle();
  await age(store, /./, 30 * DAY); // every record is old now: only in-use marks protect
  const log = path.join(ctx, 'build.log');
  const running = sh(`df-parse Dockerfile --store ${store} --build-arg N=1 | llb-solve --store ${store} --progress rawjson 2> ${log}`, { cwd: ctx })
    .then((r) => ({ code: r.code, err: r.stderr, out: r.stdout.toString() }));
  // prune once the build is inside its RUN (a fixed wait was too short on a loaded machine)
  const inRun = (text: string) => text.split('\n').some((l) => l.includes('RUN sleep 3') && l.includes('"started"') && !l.includes('"completed"'));
  for (let waited = 0; !inRun(await fs.readFile(log, 'utf8').catch(() => '')); waited += 50) {
    if (waited > 60000) throw new Error('the build never reached its RUN');
    await new Promise((r) => setTimeout(r, 50));
  }
  const pruned = await sh(`cas-store prune --store ${store} --all --force --verbose`);
  assert.is(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout.toString(), /Description:\s+\[stage-1 \d\/\d\] RUN echo unrelated/);
  const res = await running;
  assert.is(res.code, 0, res.err);
  const img = JSON.parse(res.out) as { store: string; layers: { blob: { digest: string } }[] };
  for (const l of img.layers) await fs.access(path.join(store, 'blobs', 'sha256', l.blob.digest.slice(7)));
  const fsck = await sh(`cas-store fsck --store ${store}`);
  assert.is(fsck.code, 0, fsck.stdout.toString());
  assert.not.match(fsck.stdout.toString(), /^error:/m);
});

/** A <store>/buildkitd.toml whose one policy keeps regular records for a day, its GC run at most once per `interval`. */
function keepRegularADay(store: string, interval: string): Promise<void> {
  const toml = ['[worker.oci]', '  gc = true', `  gcInterval = "${interval}"`, '  [[worker.oci.gcpolicy]]', '    filters = ["type==regular"]', '    keepDuration = "24h"', ''];
  return fs.writeFile(path.join(store, 'buildkitd.toml'), toml.join('\n'));
}

test('the GC policy in <store>/buildkitd.toml runs after a build', async () => {
  const store = await tempDir('store');
  const old = await busyboxContext('FROM bb\nRUN echo old > /old.txt');
  assert.is((await build(old, store)).code, 0);
  await settle();
  await age(store, /RUN echo old/, 3 * DAY);
  // 0s: every build (default: at most once a minute)
  await keepRegularADay(store, '0s');
  const fresh = await busyboxContext('FROM bb\nRUN echo new > /new.txt');
  const r = await build(fresh, store);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /gc: removed 1 cache records/);
  const after = await du(store);
  assert.not.ok(after.some((x) => /echo old/.test(x.Description)));
  assert.ok(after.some((x) => /echo new/.test(x.Description)));
});

test('after a build the GC runs at most once per gcInterval, the first interval counted from the first build', async () => {
  const store = await tempDir('store');
  const stamp = path.join(store, 'run', 'gc.last');
  const old = await busyboxContext('FROM bb\nRUN echo old > /old.txt');
  assert.is((await build(old, store)).code, 0);
  await settle();
  await age(store, /RUN echo old/, 3 * DAY);
  await keepRegularADay(store, '10m');
  // as if no build had run the GC yet: the next one starts the clock
  await fs.rm(stamp);
  const first = await build(await busyboxContext('FROM bb\nRUN echo one > /one.txt'), store);
  assert.is(first.code, 0, first.err);
  assert.not.match(first.err, /gc: removed/);
  await fs.access(stamp);
  assert.ok((await du(store)).some((x) => /echo old/.test(x.Description)), 'kept within the first interval');
  // the interval has passed
  const hourAgo = new Date(Date.now() - 3600_000);
  await fs.utimes(stamp, hourAgo, hourAgo);
  const later = await build(await busyboxContext('FROM bb\nRUN echo two > /two.txt'), store);
  assert.is(later.code, 0, later.err);
  assert.match(later.err, /gc: removed 1 cache records/);
  assert.not.ok((await du(store)).some((x) => /echo old/.test(x.Description)));
  assert.ok(Date.now() - (await fs.stat(stamp)).mtimeMs < 600_000, 'the clock starts again');
});

test("the GC after a build never takes what that build returned, even under a policy that keeps nothing", async () => {
  const store = await tempDir('store');
  const old = await busyboxContext('FROM bb\nRUN echo old > /old.txt');
  assert.is((await build(old, store)).code, 0);
  await settle();
  await fs.writeFile(path.join(store, 'buildkitd.toml'), [
    '[worker.oci]',
    '  gc = true',
    '  gcInterval = "0s"',
    '  [[worker.oci.gcpolicy]]',
    '    all = true',
    '    maxUsedSpace = "1KB"',
    '',
  ].join('\n'));
  const ctx = await busyboxContext('FROM bb\nRUN echo new > /new.txt');
  const r = await build(ctx, store);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /gc: removed \d+ cache records/, 'the unrelated old step went');
  // the exporter reads the records after llb-solve is done: every layer is still there
  const img = JSON.parse(r.out) as { layers: { blob: { digest: string } }[] };
  for (const l of img.layers) await fs.access(path.join(store, 'blobs', 'sha256', l.blob.digest.slice(7)));
  assert.is((await sh(`export-oci --quiet --dest ${path.join(ctx, 'out.tar')}`, { input: r.out })).code, 0);
});

test.run();
