// HEALTHCHECK [--interval --timeout --start-period --start-interval --retries]
// CMD ...|NONE -> config.Healthcheck, and the history string BuildKit writes
// (`HEALTHCHECK &{["CMD-SHELL" "x"] "30s" "0s" "0s" "0s" '\x03'}`, Go's %q of
// the struct).
import type { Node } from '../parser/index.ts';
import type { Conv } from './context.ts';
import { checkFlags } from './flags.ts';
import { goDuration, goQuoteList, goQuoteRune, parseGoDuration } from './go-format.ts';

const DURATIONS: [flag: string, key: string, label: string][] = [
  ['interval', 'Interval', 'Interval'],
  ['timeout', 'Timeout', 'Timeout'],
  ['start-period', 'StartPeriod', 'StartPeriod'],
  ['start-interval', 'StartInterval', 'StartInterval'],
];

export type Health = { config: Record<string, unknown>; history: string };

export function parseHealthcheck(conv: Conv, n: Node): Health {
  const spec = { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' } as const;
  const flags = checkFlags('healthcheck', n.flags, spec, conv.failer(n));
  const words = n.next.map((x) => x.value);
  if (words.length === 0) conv.fail(n, 'HEALTHCHECK requires an argument', { hint: 'write HEALTHCHECK CMD <command> or HEALTHCHECK NONE' });
  const kind = words[0].toUpperCase();
  const vals = { Interval: 0, Timeout: 0, StartPeriod: 0, StartInterval: 0, Retries: 0 };
  let test: string[];
  if (kind === 'NONE') {
    if (words.length > 1) conv.fail(n, 'HEALTHCHECK NONE takes no arguments');
    test = ['NONE'];
  } else if (kind === 'CMD') {
    const rest = words.slice(1);
    if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) conv.fail(n, 'Missing command after HEALTHCHECK CMD');
    test = n.json ? ['CMD', ...rest] : ['CMD-SHELL', rest.join(' ')];
    for (const [flag, key, label] of DURATIONS) {
      const v = flags.str(flag);
      if (v === undefined) continue;
      const d = parseGoDuration(v);
      if (d === undefined) conv.fail(n, `invalid duration --${flag}=${v}`, { hint: 'durations look like 30s, 1m30s, 500ms', near: `--${flag}` });
      if (d !== 0 && d < 1e6) conv.fail(n, `${label} ${JSON.stringify(v)} cannot be less than 1ms`, { near: `--${flag}` });
      vals[key as keyof typeof vals] = d;
    }
    const r = flags.str('retries');
    if (r !== undefined) {
      if (!/^-?\d+$/.test(r)) conv.fail(n, `invalid --retries=${r}: expected a whole number`, { near: '--retries' });
      if (Number(r) < 0) conv.fail(n, `--retries cannot be negative (${r})`, { near: '--retries' });
      vals.Retries = Number(r);
    }
  } else {
    return conv.fail(n, `Unknown type ${JSON.stringify(words[0])} in HEALTHCHECK (try CMD)`, { hint: 'HEALTHCHECK takes CMD <command> or NONE', near: words[0] });
  }
  const config: Record<string, unknown> = { Test: test };
  for (const [k, v] of Object.entries(vals)) if (v !== 0) config[k] = v;
  const durs = DURATIONS.map(([, key]) => JSON.stringify(goDuration(vals[key as keyof typeof vals]))).join(' ');
  return { config, history: `HEALTHCHECK &{${goQuoteList(test)} ${durs} ${goQuoteRune(vals.Retries)}}` };
}
