// Resolve a path inside a root the way the container would see it: symlinks are
// followed, but absolute targets and `..` are re-rooted, so nothing resolves
// outside `root` (the securejoin rule).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuildError, PipekitError } from '@pipekit/wire';

const MAX_LINKS = 255;

/**
 * One walk for both rules. `escape` is called for a symlink whose target leaves
 * the root (absolute, or `..` above it); without it such targets are re-rooted.
 */
async function walk(root: string, p: string, followLast: boolean, escape?: (link: string, target: string) => never): Promise<string> {
  let pending = p.split('/').filter((s) => s !== '' && s !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      done.pop();
      continue;
    }
    const cur = path.join(root, ...done, part);
    const st = await fs.lstat(cur).catch(() => undefined);
    if (st?.isSymbolicLink() && (pending.length > 0 || followLast)) {
      if (++links > MAX_LINKS) throw new PipekitError(`too many levels of symbolic links resolving ${p}`);
      const target = await fs.readlink(cur);
      const up = target.split('/').filter((s) => s !== '' && s !== '.');
      if (escape) {
        const depth = up.reduce((d, x) => (d < 0 ? d : d + (x === '..' ? -1 : 1)), done.length);
        if (target.startsWith('/') || depth < 0) escape(`/${[...done, part].join('/')}`, target);
      }
      if (target.startsWith('/')) done.length = 0;
      pending = [...up, ...pending];
      continue;
    }
    done.push(part);
  }
  return path.join(root, ...done);
}

/** Absolute host path for container path `p` under `root`. `followLast` resolves a final symlink too. */
export function resolveInRoot(root: string, p: string, followLast = true): Promise<string> {
  return walk(root, p, followLast);
}

/**
 * Like resolveInRoot, but a symlink whose target leaves the root (absolute, or
 * `..` above it) is an error: the build context may not point outside itself.
 */
export function resolveInContext(root: string, p: string, followLast = true): Promise<string> {
  return walk(root, p, followLast, (link, target) => {
    throw new BuildError(`${JSON.stringify(p)}: ${link} is a symlink to ${target}, outside the build context`);
  });
}

/** The container path of a resolved host path (for messages). */
export function insideRoot(root: string, abs: string): string {
  const rel = path.relative(root, abs);
  return `/${rel === '' ? '' : rel}`;
}
