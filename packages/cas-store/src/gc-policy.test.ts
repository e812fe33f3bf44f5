import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultPolicies, loadGcConfig } from './gc-policy.ts';
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
