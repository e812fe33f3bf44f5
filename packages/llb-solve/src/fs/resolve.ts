// Resolve a path inside a root the way the container would see it: symlinks are
// followed, but absolute targets and `..` are re-rooted, so nothing resolves
// outside `root` (the securejoin rule).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuildError, PipekitError } from '@pipekit/wire';

const MAX_LINKS = 255;

/** Absolute host path for container path `p` under `root`. `followLast` resolves a final symlink too. */
export async function resolveInRoot(root: string, p: string, followLast = true): Promise<string> {
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
    const isLast = pending.length === 0;
    const st = await fs.lstat(cur).catch(() => undefined);
    if (st?.isSymbolicLink() && (!isLast || followLast)) {
      if (++links > MAX_LINKS) throw new PipekitError(`too many levels of symbolic links resolving ${p}`);
      const target = await fs.readlink(cur);
      if (target.startsWith('/')) done.length = 0;
      pending = [...target.split('/').filter((s) => s !== '' && s !== '.'), ...pending];
      continue;
    }
    done.push(part);
  }
  return path.join(root, ...done);
}

/**
 * Like resolveInRoot, but a symlink whose target leaves the root (absolute, or
 * `..` above it) is an error: the build context may not point outside itself.
 */
export async function resolveInContext(root: string, p: string, followLast = true): Promise<string> {
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
      const shown = `/${[...done, part].join('/')}`;
      if (target.startsWith('/')) throw new BuildError(`${JSON.stringify(p)}: ${shown} is a symlink to ${target}, outside the build context`);
      const up = target.split('/').filter((s) => s !== '' && s !== '.');
      if (up.reduce((d, x) => (d < 0 ? d : d + (x === '..' ? -1 : 1)), done.length) < 0) {
        throw new BuildError(`${JSON.stringify(p)}: ${shown} is a symlink to ${target}, outside the build context`);
      }
      pending = [...up, ...pending];
      continue;
    }
    done.push(part);
  }
  return path.join(root, ...done);
}

/** The container path of a resolved host path (for messages). */
export function insideRoot(root: string, abs: string): string {
  const rel = path.relative(root, abs);
  return `/${rel === '' ? '' : rel}`;
}
