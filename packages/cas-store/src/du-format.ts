// `buildx du` output: a table (ID, RECLAIMABLE, SIZE, LAST ACCESSED; `*` marks
// mutable records), a verbose form (one block per record), or JSON lines; and
// the Shared/Private/Reclaimable/Total summary.
import type { UsageRecord } from './usage.ts';
import { humanDuration, humanSize } from './units.ts';

export type DuFormat = 'table' | 'verbose' | 'json';

const ago = (t: number | null, now: number) => (t === null ? '' : `${humanDuration(now - t)} ago`);

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length);
}

export function formatTable(records: UsageRecord[], now = Date.now()): string {
  const rows = records.map((r) => [`${r.id}${r.mutable ? '*' : ''}`, String(!r.inUse), `${humanSize(r.size)}${r.shared ? '*' : ''}`, ago(r.lastUsedAt, now)]);
  const lines = [['ID', 'RECLAIMABLE', 'SIZE', 'LAST ACCESSED'], ...rows].map(([id, rec, size, last]) => `${pad(id, 48)}${pad(rec, 16)}${pad(size, 16)}${last}`.trimEnd());
  return `${lines.join('\n')}\n`;
}

export function formatVerbose(records: UsageRecord[], now = Date.now()): string {
  return records.map((r) => [
    `ID:\t\t${r.id}`,
    ...(r.parents.length ? [`Parent:\t\t${r.parents.join(', ')}`] : []),
    `Created at:\t${new Date(r.createdAt).toISOString()}`,
    `Mutable:\t${r.mutable}`,
    `Reclaimable:\t${!r.inUse}`,
    `Shared:\t\t${r.shared}`,
    `Size:\t\t${humanSize(r.size)}`,
    `Description:\t${r.description}`,
    `Usage count:\t${r.usageCount}`,
    `Last used:\t${ago(r.lastUsedAt, now) || 'never'}`,
    `Type:\t\t${r.type}`,
    '',
  ].join('\n')).join('\n');
}

/** One JSON object per record, with buildx's field names. */
export function formatJson(records: UsageRecord[]): string {
  return records.map((r) => `${JSON.stringify({
    ID: r.id,
    Parents: r.parents,
    CreatedAt: new Date(r.createdAt).toISOString(),
    Mutable: r.mutable,
    Reclaimable: !r.inUse,
    Shared: r.shared,
    Size: r.size,
    Description: r.description,
    UsageCount: r.usageCount,
    LastUsedAt: r.lastUsedAt === null ? null : new Date(r.lastUsedAt).toISOString(),
    Type: r.type,
    InUse: r.inUse,
  })}\n`).join('');
}

export function summary(records: UsageRecord[]): { shared: number; private: number; reclaimable: number; total: number } {
  const sum = (f: (r: UsageRecord) => boolean) => records.filter(f).reduce((s, r) => s + r.size, 0);
  return { shared: sum((r) => r.shared), private: sum((r) => !r.shared), reclaimable: sum((r) => !r.inUse), total: sum(() => true) };
}

export function formatSummary(records: UsageRecord[]): string {
  const s = summary(records);
  return [`Shared:\t\t${humanSize(s.shared)}`, `Private:\t${humanSize(s.private)}`, `Reclaimable:\t${humanSize(s.reclaimable)}`, `Total:\t\t${humanSize(s.total)}`, ''].join('\n');
}
