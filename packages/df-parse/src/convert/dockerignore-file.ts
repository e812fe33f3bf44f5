// Reading .dockerignore the way moby's ignorefile.ReadAll does: `#` comments
// only at column 0, lines trimmed, `!` re-includes, patterns cleaned and made
// relative to the context. Matching happens in llb-solve (fs/dockerignore.ts).
import path from 'node:path';

export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\ufeff/, '').split('\n');
  for (const rawLine of lines) {
    if (rawLine.startsWith('#')) continue;
    let p = rawLine.trim();
    if (p === '') continue;
    const invert = p.startsWith('!');
    if (invert) p = p.slice(1).trim();
    if (p !== '') {
      p = path.posix.normalize(p);
      if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    out.push(invert ? `!${p}` : p);
  }
  return out;
}
