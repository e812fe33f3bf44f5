// COPY/ADD option values: --chmod (octal up to 07777, or symbolic like u+x,g-w)
// and the destination path rules (relative to WORKDIR, trailing slash kept).
import path from 'node:path';

/** mode (-1 = keep) and modeStr for the copy action, or an error message. */
export function parseChmod(v: string): { mode: number; modeStr: string } | string {
  const bad = `invalid chmod parameter: '${v}'. it should be octal string and between 0 and 07777`;
  if (/^[0-7]+$/.test(v)) {
    const mode = parseInt(v, 8);
    return mode > 0o7777 ? bad : { mode, modeStr: '' };
  }
  if (/^\d+$/.test(v)) return bad;
  const clause = /^[ugoa]*[-+=][rwxXst]*$/;
  if (v === '' || !v.split(',').every((c) => clause.test(c) || /^[ugoa]*[-+=][ugo]$/.test(c))) {
    return `${bad} or a symbolic mode like u+x,g-w`;
  }
  return { mode: -1, modeStr: v };
}

/** Dest relative to WORKDIR; a trailing slash (or `.`) means "into this directory". */
export function destPath(cwd: string, dest: string): string {
  const trailing = dest === '' || dest === '.' || dest.endsWith('/') || dest.endsWith('/.');
  let p = dest.startsWith('/') ? dest : path.posix.join(cwd, dest);
  p = path.posix.normalize(p);
  if (trailing && !p.endsWith('/')) p += '/';
  return p;
}

/** Source path inside its tree: joined to /, cleaned (no trailing slash). */
export function srcPath(src: string): string {
  const p = path.posix.join('/', src);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

export function hasWildcard(s: string): boolean {
  return /[*?[]/.test(s);
}
