// Instruction flags (`--from=x`, `--chown=a:b`, repeated `--exclude`): parsed
// once, checked against the instruction's allowed set.
export type Flags = Map<string, string[]>;

export function parseFlags(raw: string[], allowed: readonly string[], fail: (msg: string) => never): Flags {
  const out: Flags = new Map();
  for (const f of raw) {
    if (!f.startsWith('--')) fail(`invalid flag ${JSON.stringify(f)}`);
    const eq = f.indexOf('=');
    const name = eq < 0 ? f.slice(2) : f.slice(2, eq);
    const value = eq < 0 ? '' : f.slice(eq + 1);
    if (!allowed.includes(name)) fail(`unknown flag: --${name}`);
    out.set(name, [...(out.get(name) ?? []), value]);
  }
  return out;
}

export function flag(flags: Flags, name: string): string | undefined {
  const v = flags.get(name);
  return v ? v[v.length - 1] : undefined;
}
