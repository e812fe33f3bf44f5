// The cas-store CLI's usage and maintenance verbs as library calls: du, prune,
// gc (the configured policy) and fsck. Each returns the text for stdout.
import { UsageError } from '@pipekit/wire';
import { Store } from './store.ts';
import { collectUsage } from './usage.ts';
import { formatJson, formatSummary, formatTable, formatVerbose, type DuFormat } from './du-format.ts';
import { prune, parseFilters, matches } from './prune.ts';
import { loadGcConfig, runGc } from './gc-policy.ts';
import { fsck } from './fsck.ts';
import { parseSize } from './units.ts';
import { diskStat } from './disk-usage.ts';
import { humanSize } from './units.ts';

function sortForDisplay<T extends { size: number }>(rs: T[]): T[] {
  return [...rs].sort((a, b) => b.size - a.size);
}

export async function duCommand(opts: { store?: string; verbose?: boolean; format?: string; filters?: string[] }): Promise<string> {
  const store = await Store.open(opts.store);
  const { match } = parseFilters((opts.filters ?? []).filter((f) => !f.startsWith('until')));
  const records = sortForDisplay((await collectUsage(store)).filter((r) => matches(r, match)));
  const format: DuFormat = opts.format === 'json' ? 'json' : opts.verbose ? 'verbose' : 'table';
  if (opts.format && !['json', 'table'].includes(opts.format)) throw new UsageError(`--format ${opts.format}: expected table or json`);
  if (format === 'json') return formatJson(records);
  const body = format === 'verbose' ? formatVerbose(records) : formatTable(records);
  return `${body}${records.length ? '\n' : ''}${formatSummary(records)}`;
}

export type PruneCommandOptions = {
  store?: string;
  all?: boolean;
  filters?: string[];
  reservedSpace?: string;
  maxUsedSpace?: string;
  minFreeSpace?: string;
  keepStorage?: string;
  verbose?: boolean;
  format?: string;
};

export async function pruneCommand(opts: PruneCommandOptions): Promise<string> {
  const store = await Store.open(opts.store);
  const disk = await diskStat(store.dir);
  const size = (v: string | undefined, flag: string) => (v === undefined ? undefined : parseSize(v, flag, disk?.total));
  const res = await prune(store, {
    all: opts.all,
    filters: opts.filters,
    // --keep-storage is the deprecated name of --reserved-space (a floor, not a cap)
    reservedSpace: size(opts.reservedSpace, '--reserved-space') ?? size(opts.keepStorage, '--keep-storage'),
    maxUsedSpace: size(opts.maxUsedSpace, '--max-used-space'),
    minFreeSpace: size(opts.minFreeSpace, '--min-free-space'),
  });
  if (opts.format === 'json') return formatJson(res.deleted);
  const body = res.deleted.length ? (opts.verbose ? formatVerbose(res.deleted) : formatTable(res.deleted)) : '';
  return `${body}Total:\t${humanSize(res.freed)}\n`;
}

export async function gcCommand(opts: { store?: string; config?: string }): Promise<string> {
  const store = await Store.open(opts.store);
  const cfg = await loadGcConfig(store.dir, opts.config);
  const runs = await runGc(store, cfg);
  const deleted = runs.flatMap((r) => r.result.deleted);
  return `${deleted.length ? formatTable(deleted) : ''}Total:\t${humanSize(deleted.reduce((s, r) => s + r.size, 0))}\n`;
}

/** fsck: problems on stdout (text or JSON lines); `ok` false when errors remain. */
export async function fsckCommand(opts: { store?: string; repair?: boolean; format?: string }): Promise<{ out: string; ok: boolean; summary: string }> {
  const store = await Store.open(opts.store);
  const rep = await fsck(store, { repair: opts.repair });
  const out = opts.format === 'json'
    ? rep.problems.map((p) => `${JSON.stringify(p)}\n`).join('')
    : rep.problems.map((p) => `${p.repaired ? 'repaired' : p.severity}: ${p.what}: ${p.message}\n`).join('');
  const errors = rep.problems.filter((p) => p.severity === 'error' && !p.repaired).length;
  const garbage = rep.problems.filter((p) => p.severity === 'garbage' && !p.repaired).length;
  const fixed = rep.problems.filter((p) => p.repaired).length;
  const summary = `checked ${rep.checked.blobs} blobs, ${rep.checked.layers} layers, ${rep.checked.cacheRecords} cache records: ${errors} errors, ${garbage} leftovers${fixed ? `, ${fixed} repaired` : ''}`;
  return { out, ok: errors === 0, summary };
}
