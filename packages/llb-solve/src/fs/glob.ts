// Go filepath.Match semantics for COPY sources (`*`, `?`, `[...]`, `\` escape);
// `*` never crosses a `/`, and directories are listed as the image sees them.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuildError } from '@pipekit/wire';
import { resolveInRoot } from './resolve.ts';

export function hasMeta(s: string): boolean {
  return /[*?[\\]/.test(s);
}

/** Go filepath.Match's ErrBadPattern, as a BuildError the user can act on. */
function badPattern(pattern: string): never {
  throw new BuildError(`invalid wildcard pattern ${JSON.stringify(pattern)}: syntax error in pattern`);
}

const classChar = (c: string) => c.replace(/[\\\]\[^-]/g, '\\$&');

/**
 * One path segment's pattern as a RegExp with Go filepath.Match semantics:
 * `*`, `?` (one character, astral ones too), `[a-z]`, `[^a]` (only `^` negates),
 * `\` escapes everywhere, and malformed patterns are errors.
 */
export function segmentRegex(pattern: string): RegExp {
  const cs = Array.from(pattern);
  let re = '';
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= cs.length) badPattern(pattern);
      re += escapeRe(cs[++i]);
    } else if (c === '[') {
      i++;
      let negate = false;
      if (cs[i] === '^') {
        negate = true;
        i++;
      }
      let body = '';
      let n = 0;
      const esc = (): string => {
        let ch = cs[i];
        if (ch === undefined || ch === '-' || ch === ']') badPattern(pattern);
        if (ch === '\\') {
          i++;
          ch = cs[i];
          if (ch === undefined) badPattern(pattern);
        }
        i++;
        return ch;
      };
      for (;;) {
        if (cs[i] === ']' && n > 0) break;
        const lo = esc();
        let hi = lo;
        if (cs[i] === '-') {
          i++;
          hi = esc();
          if (hi < lo) badPattern(pattern);
        }
        body += lo === hi ? classChar(lo) : `${classChar(lo)}-${classChar(hi)}`;
        n++;
      }
      re += negate ? `[^${body}]` : `[${body}]`;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 'su');
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Expand a pattern (relative to root, `/`-separated) to the container paths that match, sorted. */
export async function expandGlob(root: string, pattern: string): Promise<string[]> {
  const parts = pattern.split('/').filter((s) => s !== '' && s !== '.');
  let found = [''];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of found) {
      if (!hasMeta(part)) {
        const p = base ? `${base}/${part}` : part;
        const parent = await resolveInRoot(root, base);
        if (await fs.lstat(path.join(parent, part)).then(() => true, () => false)) next.push(p);
        continue;
      }
      const re = segmentRegex(part);
      // list the directory as the image sees it: symlinks resolve inside root
      const dir = await resolveInRoot(root, base);
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const n of names.sort()) if (re.test(n)) next.push(base ? `${base}/${n}` : n);
    }
    found = next;
  }
  return found.map((p) => `/${p}`);
}
