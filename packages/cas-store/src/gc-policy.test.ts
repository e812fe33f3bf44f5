import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultPolicies, loadGcConfig, runGc } from './gc-policy.ts';
import { Store } from './store.ts';
import { matches, parseFilters } from './prune.ts';
import type { UsageRecord } from './usage.ts';

test('config: caps apply to policies that do not set their own; deprecated keepBytes is reservedSpace', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gc-'));
  await fs.writeFile(path.join(dir, 'buildkitd.toml'), [
    '[worker.oci]',
    '  keepBytes = "1GB"',
    '  maxUsedSpace = "4GB"',
    '  max-parallelism = 3',
    '  gcInterval = "10s"',
    '  [[worker.oci.gcpolicy]]',
    '    filters = ["type==exec.cachemount"]',
    '    keepDuration = 3600',
    '    maxUsedSpace = "512MB"',
  ].join('\n'));
  const cfg = await loadGcConfig(dir);
  assert.is(cfg.enabled, true);
  assert.is(cfg.maxParallelism, 3);
  assert.is(cfg.interval, 10_000);
  assert.is(cfg.policies.length, 1);
  assert.is(cfg.policies[0].keepDurationMs, 3600_000);
  assert.is(cfg.policies[0].maxUsedSpace, 512 * 1024 ** 2);
  assert.is(cfg.policies[0].reservedSpace, 1024 ** 3);
  await fs.rm(dir, { recursive: true });
});

test('without a config: BuildKit default policies, cache mounts first', async () => {
  const cfg = await loadGcConfig(await fs.mkdtemp(path.join(os.tmpdir(), 'gc-')));
  assert.is(cfg.file, undefined);
  assert.is(cfg.policies.length, 4);
  assert.equal(defaultPolicies({}, 100 * 1024 ** 3)[0].filters, ['type==source.local', 'type==exec.cachemount']);
  assert.is(defaultPolicies({}, 100 * 1024 ** 3)[2].reservedSpace, 10 * 1024 ** 3);
});

test('runGc: each policy sees what the ones before it left', async () => {
  const store = await Store.open(await fs.mkdtemp(path.join(os.tmpdir(), 'gc-run-')));
  const ctx = path.join(store.dir, 'contexts', `${'ab'.repeat(16)}.json`);
  await fs.mkdir(path.dirname(ctx), { recursive: true });
  await fs.writeFile(ctx, JSON.stringify({ v: 1, dir: '/src/app', files: {} }));
  await fs.mkdir(path.join(store.dir, 'contenthash'));
  await fs.writeFile(path.join(store.dir, 'contenthash', 'x.json'), '{"hash":"sha256:00"}');
  // records changed in the last 2 s count as in use
  await new Promise((r) => setTimeout(r, 2100));
  const runs = await runGc(store, {
    enabled: true,
    policies: [
      { label: 'cache mounts', filters: ['type==exec.cachemount'] },
      { label: 'local sources', filters: ['type==source.local'] },
      { label: 'local sources again', filters: ['type==source.local'] },
      { label: 'everything', all: true },
    ],
  });
  const ids = runs.map((r) => r.result.deleted.map((d) => d.type));
  assert.equal(ids, [[], ['source.local'], [], ['internal']], 'a removed record is not found again');
  assert.is(await fs.access(ctx).then(() => true, () => false), false);
  await fs.rm(store.dir, { recursive: true, force: true });
});

test('filters: =, !=, ~= and id prefixes; until is a duration', () => {
  const r = { id: 'abcdef0123', type: 'exec.cachemount', description: 'cached mount /root/.npm', inUse: false, shared: false, mutable: true } as UsageRecord;
  const f = (...s: string[]) => matches(r, parseFilters(s).match);
  assert.ok(f('type=exec.cachemount'));
  assert.ok(f('type==exec.cachemount', 'id=abc'));
  assert.not.ok(f('type!=exec.cachemount'));
  assert.ok(f('description~=npm$'));
  assert.ok(f('mutable=true', 'private=true'));
  assert.is(parseFilters(['until=24h']).untilMs, 24 * 3600_000);
  assert.throws(() => parseFilters(['color=red']), /unknown key "color"/);
});

test.run();
