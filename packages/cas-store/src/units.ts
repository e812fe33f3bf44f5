// Sizes and durations as docker's tools write them: "512MB", "10GB", "1.5GiB",
// "10%" (of the store's filesystem); "24h", "1h30m", "90s", "48h" (Go durations,
// or plain seconds). Output follows docker/go-units: 4.096kB, 139.2MB, "2 days ago".
import { UsageError } from '@pipekit/wire';

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1024, kb: 1024, kib: 1024,
  m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3,
  t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4,
};

/**
 * Bytes for a size; units are binary as in docker's RAMInBytes (1MB = 1024 KB).
 * `diskBytes` resolves percentages.
 */
export function parseSize(text: string, what: string, diskBytes?: number): number {
  const t = String(text).trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
  if (pct) {
    if (diskBytes === undefined) throw new UsageError(`${what}: a percentage needs the disk size, which is unknown here`);
    return Math.floor((Number(pct[1]) / 100) * diskBytes);
  }
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(t);
  const mult = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || mult === undefined) throw new UsageError(`${what}: ${JSON.stringify(text)} is not a size (like 512MB, 10GB, 1.5GiB or 10%)`);
  return Math.floor(Number(m[1]) * mult);
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds for a Go duration ("24h", "1h30m") or a number of seconds ("3600"). */
export function parseDuration(text: string, what: string): number {
  const t = String(text).trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    at = re.lastIndex;
  }
  if (at === 0 || at !== t.length) throw new UsageError(`${what}: ${JSON.stringify(text)} is not a duration (like 24h, 90m, 1h30m or 3600)`);
  return total;
}

/** go-units HumanSize: decimal, 4 significant digits (0B, 4.096kB, 139.2MB). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** go-units HumanDuration, as docker prints "LAST ACCESSED". */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(ms / 60_000);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.floor(ms / 3_600_000 + 0.5);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}
