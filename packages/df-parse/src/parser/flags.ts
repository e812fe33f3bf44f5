// Group an instruction's `--flag[=value]` tokens by name, the first step of
// BuildKit's BFlags. The parser itself never validates flags; the build step
// decides which names an instruction accepts.

import type { Node } from './node.ts';

/**
 * name -> values in source order. A flag written without `=` (`--link`) gives
 * null, so callers can tell it from an explicit empty value (`--from=`).
 */
export function parseFlags(nodeOrFlags: Node | readonly string[]): Map<string, (string | null)[]> {
  const tokens = Array.isArray(nodeOrFlags) ? nodeOrFlags : (nodeOrFlags as Node).flags;
  const out = new Map<string, (string | null)[]>();
  for (const token of tokens) {
    const body = token.startsWith('--') ? token.slice(2) : token;
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const value = eq < 0 ? null : body.slice(eq + 1);
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  }
  return out;
}
