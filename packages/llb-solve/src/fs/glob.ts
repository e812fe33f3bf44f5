// Go filepath.Match semantics for COPY sources (`*`, `?`, `[...]`, `\` escape);
// `*` never crosses a `/`.
import { promises as fs } from 'node:fs';
import path from 'node:path';

export function hasMeta(s: string): boolean {
  return /[*?[\\]/.test(s);
}

export function segmentRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('^')) body = `!${body.slice(1)}`;
      re += body.startsWith('!') ? `[^${body.slice(1).replace(/\\/g, '\\\\')}]` : `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 's');
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
        if (await fs.lstat(path.join(root, p)).then(() => true, () => false)) next.push(p);
        continue;
      }
      const re = segmentRegex(part);
      const names = await fs.readdir(path.join(root, base)).catch(() => [] as string[]);
      for (const n of names.sort()) if (re.test(n)) next.push(base ? `${base}/${n}` : n);
    }
    found = next;
  }
  return found.map((p) => `/${p}`);
}
