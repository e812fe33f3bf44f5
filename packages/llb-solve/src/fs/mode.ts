// Symbolic chmod (`u+x`, `go-w`, `a=r`, `+X`), as COPY --chmod accepts.
import { BuildError } from '@pipekit/wire';

export function applyModeStr(mode: number, spec: string, isDir: boolean): number {
  let out = mode;
  for (const clause of spec.split(',')) {
    const m = /^([ugoa]*)([-+=])([rwxXst]*)$/.exec(clause.trim());
    if (!m) throw new BuildError(`invalid chmod ${JSON.stringify(spec)}: expected octal or symbolic mode like u+x`);
    const who = m[1] === '' || m[1].includes('a') ? 'ugo' : m[1];
    let bits = 0;
    for (const p of m[3]) {
      const shift = { r: 4, w: 2, x: 1 } as Record<string, number>;
      for (const w of who) {
        const base = w === 'u' ? 6 : w === 'g' ? 3 : 0;
        if (p in shift) bits |= shift[p] << base;
        if (p === 'X' && (isDir || (out & 0o111) !== 0)) bits |= 1 << base;
        if (p === 's' && w === 'u') bits |= 0o4000;
        if (p === 's' && w === 'g') bits |= 0o2000;
        if (p === 't') bits |= 0o1000;
      }
    }
    if (m[2] === '+') out |= bits;
    else if (m[2] === '-') out &= ~bits;
    else {
      let mask = 0;
      // '=' also clears the special bit that belongs to each class
      for (const w of who) mask |= w === 'u' ? 0o4700 : w === 'g' ? 0o2070 : 0o1007;
      out = (out & ~mask) | bits;
    }
  }
  return out;
}
