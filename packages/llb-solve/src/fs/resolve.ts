// Resolve a path inside a root the way the container would see it: symlinks are
// followed, but absolute targets and `..` are re-rooted, so nothing resolves
// outside `root` (the securejoin rule).
import { readlinkSync } from 'node:fs';
import path from 'node:path';
import { BuildError, PipekitError, lstatMaybe } from '@pipekit/wire';

const MAX_LINKS = 255;

/**
 * Resolve container path `p` component by component. `linkAt(parts)` gives the
 * target when the entry at those components is a symlink (undefined otherwise):
 * a mounted root and a layer chain read in userspace share this one walk.
 * `escape` is called for a symlink whose target leaves the root (absolute, or
 * `..` above it); without it such targets are re-rooted.
 */
export function walkPath(
  p: string, followLast: boolean, linkAt: (parts: string[]) => string | undefined, escape?: (link: string, target: string) => never,
): string[] {
  let pending = p.split('/').filter((s) => s !== '' && s !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      done.pop();
      continue;
    }
    const target = pending.length > 0 || followLast ? linkAt([...done, part]) : undefined;
    if (target !== undefined) {
      if (++links > MAX_LINKS) throw new PipekitError(`too many levels of symbolic links resolving ${p}`);
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
  return done;
}

// a few components per call: sync calls cost less than thread-pool trips
function walk(root: string, p: string, followLast: boolean, escape?: (link: string, target: string) => never): Promise<string> {
  const linkAt = (parts: string[]) => {
    const abs = path.join(root, ...parts);
    return lstatMaybe(abs)?.isSymbolicLink() ? readlinkSync(abs) : undefined;
  };
  try {
    return Promise.resolve(path.join(root, ...walkPath(p, followLast, linkAt, escape)));
  } catch (err) {
    return Promise.reject(err);
  }
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
