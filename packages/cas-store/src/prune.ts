// Removing build cache, with buildx prune's rules: filters pick candidates
// (never what a running build uses; internal records only with `all`),
// keepDuration spares what was used recently, and the size options say when
// to stop: delete least recently used first until usage is at most
// max(maxUsedSpace reduced for minFreeSpace, reservedSpace).
import { promises as fs } from 'node:fs';
import { UsageError } from '@pipekit/wire';
import type { Store } from './store.ts';
import { collectUsage, type UsageRecord } from './usage.ts';
import { withStoreLock } from './lock.ts';
import { parseDuration } from './units.ts';
import { diskStat } from './disk-usage.ts';

export type PruneOptions = {
  all?: boolean;
  /** buildx filters: until=24h, type=exec.cachemount, id=..., description~=regex (ANDed) */
  filters?: string[];
  /** alternatives (buildkitd.toml gcpolicy filters): a record matching any group counts; each group is ANDed */
  anyOf?: string[][];
  keepDurationMs?: number;
  reservedSpace?: number;
  maxUsedSpace?: number;
  minFreeSpace?: number;
  dryRun?: boolean;
};
export type PruneResult = { deleted: UsageRecord[]; freed: number; total: number };

type Filter = { key: string; op: '=' | '!=' | '~='; value: string };

export function parseFilters(filters: string[] = []): { match: Filter[]; untilMs?: number } {
  const match: Filter[] = [];
  let untilMs: number | undefined;
  for (const f of filters) {
    const m = /^([a-zA-Z.]+)\s*(==|!=|~=|=)\s*(.*)$/.exec(f);
    if (!m) throw new UsageError(`--filter ${JSON.stringify(f)}: expected KEY=VALUE (or KEY!=VALUE, KEY~=REGEX)`);
    const key = m[1].toLowerCase();
    const op = (m[2] === '==' ? '=' : m[2]) as Filter['op'];
    if (key === 'until') untilMs = parseDuration(m[3], '--filter until');
    else if (['type', 'id', 'description', 'inuse', 'shared', 'private', 'mutable', 'immutable'].includes(key)) match.push({ key, op, value: m[3] });
    else throw new UsageError(`--filter ${JSON.stringify(f)}: unknown key ${JSON.stringify(key)} (until, type, id, description, shared, private, mutable, immutable)`);
  }
  return { match, untilMs };
}

function fieldOf(r: UsageRecord, key: string): string {
  switch (key) {
    case 'type': return r.type;
    case 'id': return r.id;
    case 'description': return r.description;
    case 'inuse': return String(r.inUse);
    case 'shared': return String(r.shared);
    case 'private': return String(!r.shared);
    case 'mutable': return String(r.mutable);
    default: return String(!r.mutable);
  }
}

export function matches(r: UsageRecord, filters: Filter[]): boolean {
  return filters.every((f) => {
    const v = fieldOf(r, f.key);
    if (f.op === '~=') return new RegExp(f.value).test(v);
    const eq = f.key === 'id' ? v.startsWith(f.value) || f.value.startsWith(v) : v === f.value;
    return f.op === '=' ? eq : !eq;
  });
}

/** Delete what a record stands for. */
export async function removeRecord(store: Store, r: UsageRecord, keysOf: (diffID: string) => Promise<string[]>): Promise<void> {
  const t = r.target;
  if (t.kind === 'layer') {
    // cache records through this layer can never hit again: they go first
    for (const key of await keysOf(t.diffID)) await store.cache.delete(key);
    for (const f of t.files) await fs.rm(f, { force: true });
    if (t.snapshot) await store.snapshots.remove(t.snapshot);
    for (const b of t.blobs) await store.blobs.delete(b);
  } else if (t.kind === 'cachemount') {
    await fs.rm(t.dir, { recursive: true, force: true });
    await fs.rm(`${t.dir}.json`, { force: true });
  } else if (t.kind === 'snapshot') {
    await fs.rm(t.dir, { recursive: true, force: true });
  } else if (t.kind === 'path') {
    await fs.rm(t.path, { recursive: true, force: true });
    for (const p of t.also ?? []) await fs.rm(p, { recursive: true, force: true });
  } else {
    await store.blobs.delete(t.digest);
  }
}

export async function prune(store: Store, opts: PruneOptions = {}): Promise<PruneResult> {
  // a bad filter is refused before waiting for the lock
  for (const f of [opts.filters, ...(opts.anyOf ?? [])]) parseFilters(f);
  return withStoreLock(store.dir, 'gc', async () => pruneLocked(store, opts, await collectUsage(store)));
}

/**
 * prune() for a caller that holds the GC lock and has collected the usage
 * under it: nothing can start or stop being used, or be made, meanwhile
 * (builds mark and commit under that lock too).
 */
export async function pruneLocked(store: Store, opts: PruneOptions, usage: UsageRecord[]): Promise<PruneResult> {
  const { match, untilMs } = parseFilters(opts.filters);
  const groups = (opts.anyOf ?? []).map((g) => parseFilters(g).match);
  const keep = untilMs ?? opts.keepDurationMs;
  const selected = (r: UsageRecord) => matches(r, match) && (groups.length === 0 || groups.some((g) => matches(r, g)));
  const records = usage.filter(selected);
  const now = Date.now();
  // sizes count what the filters select, as BuildKit's filtered disk usage does
  let total = records.reduce((s, r) => s + r.size, 0);
  const candidates = records
    .filter((r) => !r.inUse && (opts.all || r.type !== 'internal'))
    .filter((r) => keep === undefined || (r.lastUsedAt ?? r.createdAt) < now - keep)
    // least recently used first; on ties, the top of a chain before its base
    .sort((a, b) => (a.lastUsedAt ?? a.createdAt) - (b.lastUsedAt ?? b.createdAt) || b.depth - a.depth);
  let keepBytes: number | undefined;
  if (opts.maxUsedSpace || opts.reservedSpace || opts.minFreeSpace) {
    keepBytes = opts.maxUsedSpace || Number.POSITIVE_INFINITY;
    if (opts.minFreeSpace) {
      const disk = await diskStat(store.dir);
      const excess = disk ? opts.minFreeSpace - disk.free : 0;
      if (excess > 0) keepBytes = Math.min(keepBytes, total - excess);
    }
    if (keepBytes === Number.POSITIVE_INFINITY) keepBytes = opts.reservedSpace ?? 0;
    keepBytes = Math.max(keepBytes, opts.reservedSpace ?? 0);
  }
  const keysOf = async (diffID: string) => {
    const out: string[] = [];
    for (const key of await store.cache.list()) {
      const rec = await store.cache.get(key);
      if (rec?.outputs?.some((o) => o.layers.includes(diffID))) out.push(key);
    }
    return out;
  };
  const deleted: UsageRecord[] = [];
  let freed = 0;
  for (const r of candidates) {
    if (keepBytes !== undefined && total <= keepBytes) break;
    if (!opts.dryRun) await removeRecord(store, r, keysOf);
    deleted.push(r);
    freed += r.size;
    total -= r.size;
  }
  return { deleted, freed, total };
}
