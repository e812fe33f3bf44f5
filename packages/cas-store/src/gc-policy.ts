// Automatic GC from a buildkitd.toml-style config:
//
//   [worker.oci]
//     gc = true
//     reservedSpace = "2GB"        # also keepBytes / gckeepstorage (deprecated names)
//     maxUsedSpace = "20GB"
//     minFreeSpace = "10%"
//     max-parallelism = 4
//     gcInterval = "1m"            # pipekit: least time between automatic runs
//     [[worker.oci.gcpolicy]]
//       filters = ["type==source.local", "type==exec.cachemount"]
//       keepDuration = "48h"
//       maxUsedSpace = "512MB"
//
// Without policies, BuildKit's defaults apply. The config is read from
// --config, else $CAS_STORE_CONFIG, else <store>/buildkitd.toml.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { UsageError } from '@pipekit/wire';
import type { Store } from './store.ts';
import { parseToml } from './toml.ts';
import { parseDuration, parseSize } from './units.ts';
import { diskStat } from './disk-usage.ts';
import { pruneLocked, type PruneOptions, type PruneResult } from './prune.ts';
import { withStoreLock } from './lock.ts';
import { collectUsage, type UsageRecord } from './usage.ts';

export type GcPolicy = PruneOptions & { label: string };
export type GcConfig = { file?: string; enabled: boolean; maxParallelism?: number; /** ms between automatic runs (gcInterval) */ interval?: number; policies: GcPolicy[] };

const GB = 1024 ** 3;
const MB = 1024 ** 2;

/** Path of the config in effect, if any exists. */
export async function findGcConfig(storeDir: string, flag?: string): Promise<string | undefined> {
  if (flag) return flag;
  if (process.env.CAS_STORE_CONFIG) return process.env.CAS_STORE_CONFIG;
  const p = path.join(storeDir, 'buildkitd.toml');
  return (await fs.access(p).then(() => true, () => false)) ? p : undefined;
}

export async function loadGcConfig(storeDir: string, flag?: string): Promise<GcConfig> {
  const file = await findGcConfig(storeDir, flag);
  const disk = await diskStat(storeDir);
  let worker: Record<string, unknown> = {};
  if (file) {
    const text = await fs.readFile(file, 'utf8').catch((err) => {
      throw new UsageError(`cannot read GC config ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    });
    const doc = parseToml(text, file);
    worker = ((doc.worker as Record<string, unknown> | undefined)?.oci as Record<string, unknown> | undefined) ?? {};
  }
  const size = (v: unknown, what: string) => (v === undefined ? undefined : typeof v === 'number' ? v : parseSize(String(v), `${file}: ${what}`, disk?.total));
  const dur = (v: unknown, what: string) => (v === undefined ? undefined : typeof v === 'number' ? v * 1000 : parseDuration(String(v), `${file}: ${what}`));
  const caps = {
    reservedSpace: size(worker.reservedSpace ?? worker.keepBytes ?? worker.gckeepstorage, 'reservedSpace'),
    maxUsedSpace: size(worker.maxUsedSpace, 'maxUsedSpace'),
    minFreeSpace: size(worker.minFreeSpace, 'minFreeSpace'),
  };
  const listed = Array.isArray(worker.gcpolicy) ? (worker.gcpolicy as Record<string, unknown>[]) : [];
  const policies: GcPolicy[] = listed.map((p, i) => ({
    label: `gcpolicy[${i}]`,
    all: p.all === true,
    filters: Array.isArray(p.filters) ? p.filters.map(String) : [],
    keepDurationMs: dur(p.keepDuration, `gcpolicy[${i}].keepDuration`),
    reservedSpace: size(p.reservedSpace ?? p.keepBytes, `gcpolicy[${i}].reservedSpace`) ?? caps.reservedSpace,
    maxUsedSpace: size(p.maxUsedSpace, `gcpolicy[${i}].maxUsedSpace`) ?? caps.maxUsedSpace,
    minFreeSpace: size(p.minFreeSpace, `gcpolicy[${i}].minFreeSpace`) ?? caps.minFreeSpace,
  }));
  if (policies.length === 0) policies.push(...defaultPolicies(caps, disk?.total));
  return {
    file,
    enabled: worker.gc !== false,
    maxParallelism: typeof worker['max-parallelism'] === 'number' ? (worker['max-parallelism'] as number) : undefined,
    interval: dur(worker.gcInterval, 'gcInterval'),
    policies,
  };
}

/** BuildKit's default policy list (cmd/buildkitd/config/gcpolicy.go), with its Unix default caps. */
export function defaultPolicies(caps: { reservedSpace?: number; maxUsedSpace?: number; minFreeSpace?: number }, diskTotal?: number): GcPolicy[] {
  const total = diskTotal ?? 100 * GB;
  const reservedSpace = caps.reservedSpace ?? Math.min(0.1 * total, 10 * GB);
  const maxUsedSpace = caps.maxUsedSpace ?? Math.min(0.8 * total, 100 * GB);
  const minFreeSpace = caps.minFreeSpace ?? 0.2 * total;
  const g = { reservedSpace, maxUsedSpace, minFreeSpace };
  return [
    { label: 'default: local sources and cache mounts', filters: ['type==source.local', 'type==exec.cachemount'], keepDurationMs: 48 * 3600_000, maxUsedSpace: 512 * MB },
    { label: 'default: unused for 60 days', keepDurationMs: 60 * 24 * 3600_000, ...g },
    { label: 'default: storage caps', ...g },
    { label: 'default: storage caps, all records', all: true, ...g },
  ];
}

/**
 * Run every policy in order, under one hold of the GC lock; returns what each
 * removed. The store's usage is collected again only after a policy removed
 * something (collecting it is most of a GC that removes nothing).
 */
export async function runGc(store: Store, cfg: GcConfig): Promise<{ policy: string; result: PruneResult }[]> {
  const out: { policy: string; result: PruneResult }[] = [];
  if (!cfg.enabled) return out;
  return withStoreLock(store.dir, 'gc', async () => {
    let usage: UsageRecord[] | undefined;
    for (const p of cfg.policies) {
      // each string of a policy's filters is an alternative (containerd ParseAll); commas inside one AND
      const anyOf = (p.filters ?? []).map((f) => f.split(',').map((x) => x.trim()).filter(Boolean));
      usage ??= await collectUsage(store);
      const result = await pruneLocked(store, { ...p, filters: [], anyOf }, usage);
      if (result.deleted.length) usage = undefined;
      out.push({ policy: p.label, result });
    }
    return out;
  });
}
