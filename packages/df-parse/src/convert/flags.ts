// Instruction flags checked like BuildKit's BFlags: each instruction declares
// its flags as string, bool or repeatable list; an unknown flag names the ones
// the instruction accepts, a string flag needs a value, a bool takes true/false.
import { parseFlags as groupFlags } from '../parser/index.ts';

export type FlagKind = 'string' | 'bool' | 'list';
export type FlagSpec = Record<string, FlagKind>;
/** fail(message, hint, near): `near` is source text to put the caret under */
export type FlagFail = (msg: string, hint?: string, near?: string) => never;

export class Flags {
  private values: Map<string, (string | null)[]>;
  constructor(values: Map<string, (string | null)[]>) {
    this.values = values;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  str(name: string): string | undefined {
    const v = this.values.get(name);
    return v ? (v[v.length - 1] ?? '') : undefined;
  }

  bool(name: string): boolean {
    const v = this.values.get(name);
    if (!v) return false;
    const last = v[v.length - 1];
    return last === null || last === '' || last.toLowerCase() === 'true';
  }

  list(name: string): string[] {
    return (this.values.get(name) ?? []).map((v) => v ?? '');
  }
}

export function describeFlags(keyword: string, spec: FlagSpec): string {
  const names = Object.keys(spec);
  return names.length === 0
    ? `${keyword.toUpperCase()} accepts no flags`
    : `${keyword.toUpperCase()} accepts ${names.map((n) => `--${n}`).join(', ')}`;
}

/** Group and check `raw` (a node's flags) against `spec`. */
export function checkFlags(keyword: string, raw: readonly string[], spec: FlagSpec, fail: FlagFail): Flags {
  const grouped = groupFlags(raw);
  for (const [name, values] of grouped) {
    const kind = spec[name];
    const token = `--${name}`;
    if (!kind) fail(`unknown flag: ${token}`, describeFlags(keyword, spec), token);
    if (kind === 'string' || kind === 'list') {
      if (values.some((v) => v === null)) fail(`missing a value on flag: ${token}`, `write ${token}=VALUE`, token);
      if (kind === 'string' && values.length > 1) fail(`duplicate flag specified: ${token}`, undefined, token);
    } else {
      for (const v of values) {
        if (v !== null && v !== '' && !/^(true|false)$/i.test(v)) fail(`expecting boolean value for flag ${token}, not: ${v}`, undefined, token);
      }
    }
  }
  return new Flags(grouped);
}
