// Command-line flags for the CLIs: a small declarative parser and its help
// text. yargs took ~30 ms of every tool's start-up (a third of df-parse's) for
// features these tools do not use; a pipe of three tools paid it three times.
import { UsageError } from './errors.ts';

export type FlagSpec = {
  type: 'string' | 'boolean' | 'number';
  describe: string;
  /** one-letter short form: -q */
  alias?: string;
  /** repeatable: every value, in order, as an array */
  multiple?: boolean;
  choices?: readonly string[];
  default?: string | boolean | number;
};

export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValue = string | boolean | number | string[] | undefined;
export type Parsed = { flags: Record<string, FlagValue>; positionals: string[] };

/** What a command line asked for: a run with flags, or --help / --version. */
export type ParseResult = ({ kind: 'run' } & Parsed) | { kind: 'help' } | { kind: 'version' };

export type ParseOptions = {
  /** `--no-NAME` sets boolean NAME to false (unless `no-NAME` is itself a flag) */
  negation?: boolean;
};

/** The flag whose one-letter alias is `letter`. */
export function findShort(specs: FlagSpecs, letter: string): string | undefined {
  return Object.keys(specs).find((k) => specs[k].alias === letter);
}

function convert(name: string, spec: FlagSpec, raw: string): string | number {
  if (spec.type === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got ${JSON.stringify(raw)}`);
    return n;
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(`--${name}: invalid value ${JSON.stringify(raw)}; choose one of ${spec.choices.join(', ')}`);
  }
  return raw;
}

function bool(name: string, raw: string): boolean {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new UsageError(`--${name} takes no value but true or false, got ${JSON.stringify(raw)}`);
}

/** Parse `args` against `specs`; unknown flags, missing values and bad choices are UsageErrors. */
export function parseFlags(args: string[], specs: FlagSpecs, opts: ParseOptions = {}): ParseResult {
  const flags: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  const set = (name: string, value: string | boolean | number) => {
    const spec = specs[name];
    if (spec.multiple) flags[name] = [...((flags[name] as string[] | undefined) ?? []), String(value)];
    else flags[name] = value;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a === '--help' || a === '-h') return { kind: 'help' };
    if (a === '--version') return { kind: 'version' };
    if (a === '-' || !a.startsWith('-')) {
      positionals.push(a);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
      if (!specs[name] && opts.negation && name.startsWith('no-') && specs[name.slice(3)]?.type === 'boolean' && inline === undefined) {
        set(name.slice(3), false);
        continue;
      }
    } else {
      // -q, -t app, -o=spec, or several one-letter booleans at once (-af)
      const letters = a.slice(1).split('=')[0];
      inline = a.includes('=') ? a.slice(a.indexOf('=') + 1) : undefined;
      if (letters.length > 1 && inline === undefined && [...letters].every((l) => specs[findShort(specs, l) ?? '']?.type === 'boolean')) {
        for (const l of letters) set(findShort(specs, l) as string, true);
        continue;
      }
      const long = findShort(specs, letters);
      if (!long) throw new UsageError(`unknown option ${a.split('=')[0]} (see --help)`);
      name = long;
    }
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown option --${name} (see --help)`);
    if (spec.type === 'boolean') {
      set(name, inline === undefined ? true : bool(name, inline));
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      if (i + 1 >= args.length) throw new UsageError(`--${name} needs a value`);
      raw = args[++i];
    }
    set(name, convert(name, spec, raw));
  }
  for (const [name, spec] of Object.entries(specs)) if (flags[name] === undefined && spec.default !== undefined) flags[name] = spec.default;
  return { kind: 'run', flags, positionals };
}

function flagLines(specs: FlagSpecs): string[] {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `${s.alias ? `-${s.alias}, ` : '    '}--${name}${s.type === 'boolean' ? '' : s.type === 'number' ? ' N' : ' VALUE'}`;
    const extra = [s.choices ? `one of: ${s.choices.join(', ')}` : '', s.multiple ? 'repeatable' : '', s.default !== undefined && s.default !== false ? `default: ${s.default}` : '']
      .filter(Boolean).join('; ');
    return [left, extra ? `${s.describe} (${extra})` : s.describe] as const;
  });
  rows.push(['-h, --help', 'show this help'], ['    --version', 'show the version']);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`);
}

/** Help text: the usage lines, then commands (if any) and flags. */
export function helpText(usage: string, specs: FlagSpecs, commands?: Record<string, string>): string {
  const out = [usage.trimEnd(), ''];
  if (commands) {
    const width = Math.max(...Object.keys(commands).map((c) => c.length)) + 2;
    out.push('Commands:', ...Object.entries(commands).map(([c, d]) => `  ${c.padEnd(width)}${d}`), '');
  }
  out.push('Options:', ...flagLines(specs), '');
  return out.join('\n');
}
