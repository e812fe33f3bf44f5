// Which files a copy takes: the source context's .dockerignore (matched on
// context-relative paths), the copy's --exclude patterns and --parents include
// patterns (matched relative to the copied source). Local sources register
// their .dockerignore patterns here by directory, so the copy and the content
// hash see the same filtered tree.
import { lstatSync, promises as fs, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError, UsageError } from '@pipekit/wire';
import { PatternMatcher } from './dockerignore.ts';

const dirExcludes = new Map<string, PatternMatcher>();

/**
 * A build context's own root reads as 0755 whatever the host dir's mode:
 * BuildKit syncs the context into a fresh directory and sends only what is
 * below it (so `COPY . /app` makes /app 0755 even from a 0700 temp dir).
 */
export const CONTEXT_ROOT_MODE = 0o755;

/** Called by the local source: files of `dir` matching `patterns`, or at the `literal` paths, are not part of it. */
export function registerDirExcludes(dir: string, patterns: string[], literal: string[] = []): void {
  if (patterns.length || literal.length) dirExcludes.set(path.resolve(dir), new PatternMatcher(patterns, literal));
  else dirExcludes.delete(path.resolve(dir));
}

/**
 * The path (relative, literal) that leaves the store out of a context it lies
 * inside (none when it is elsewhere). A COPY of such a context would otherwise read the
 * snapshot it is writing, and copy it into itself without end. A context that
 * is the store itself is refused.
 */
export function storeExclusion(contextDir: string, storeDir: string): string[] {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const rel = path.relative(real(contextDir), real(storeDir));
  if (rel === '') throw new UsageError(`build context ${contextDir} is the store itself: use another directory as the context`);
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return [];
  return [rel.split(path.sep).join('/')];
}

/** The .dockerignore matcher of a source root, if it has one. */
export function ignoredIn(root: string): PatternMatcher | undefined {
  return dirExcludes.get(path.resolve(root));
}

/** `rel` (inside root) is left out by the root's .dockerignore. */
export function isIgnored(root: string, rel: string): boolean {
  const m = ignoredIn(root);
  return m !== undefined && rel !== '' && m.matches(rel);
}

export type Filter = {
  /** context-relative prefix of the copied source ('' for the root) */
  base: string;
  ignore?: PatternMatcher;
  exclude?: PatternMatcher;
  include?: PatternMatcher;
};

export function makeFilter(root: string, srcAbs: string, excludePatterns: string[], includePatterns: string[]): Filter | undefined {
  const ignore = ignoredIn(root);
  const exclude = excludePatterns.length ? new PatternMatcher(excludePatterns) : undefined;
  const include = includePatterns.length ? new PatternMatcher(includePatterns) : undefined;
  if (!ignore && !exclude && !include) return undefined;
  return { base: path.relative(root, srcAbs).split(path.sep).join('/'), ignore, exclude, include };
}

/**
 * The entries below srcAbs to copy, parents before children ('' is srcAbs itself).
 * An excluded directory is still walked when re-include patterns could bring
 * files back; then only what is kept (and its parents) is copied. Sync calls:
 * one thread-pool round trip per entry of a big context costs more than the call.
 */
export async function selectEntries(srcAbs: string, f: Filter): Promise<string[]> {
  const out: string[] = [];
  const reinclude = (f.ignore?.hasExclusions ?? false) || (f.exclude?.hasExclusions ?? false);
  const children = async (rel: string, abs: string) => {
    let any = false;
    for (const name of readdirSync(abs).sort()) if (await walk(rel ? `${rel}/${name}` : name)) any = true;
    return any;
  };
  // returns whether the entry or anything below it is kept
  const walk = async (rel: string): Promise<boolean> => {
    // the store, inside the context: not walked, whatever a `!` could bring back
    if (rel !== '' && f.ignore?.prunes(f.base ? `${f.base}/${rel}` : rel)) return false;
    const abs = rel ? path.join(srcAbs, rel) : srcAbs;
    const st = lstatSync(abs);
    if (rel === '') {
      out.push('');
      if (st.isDirectory()) await children(rel, abs);
      return true;
    }
    const ctxRel = f.base ? `${f.base}/${rel}` : rel;
    const dropped = (f.ignore?.matches(ctxRel) ?? false) || (f.exclude?.matches(rel) ?? false);
    const included = !f.include || f.include.matches(rel);
    const self = !dropped && included;
    if (!st.isDirectory()) {
      if (self) out.push(rel);
      return self;
    }
    const at = out.length;
    out.push(rel);
    // an excluded dir may hold re-included files; a dir outside the include patterns may hold included ones
    const descend = self || (dropped && reinclude) || (!dropped && !included);
    const any = descend ? await children(rel, abs) : false;
    if (!self && !any) out.splice(at, 1);
    return self || any;
  };
  await walk('');
  return out;
}

/** --parents paths that must exist when no wildcard could make them optional. */
export async function checkRequired(srcAbs: string, required: string[]): Promise<void> {
  for (const r of required) {
    const ok = await fs.lstat(path.join(srcAbs, r)).then(() => true, () => false);
    if (!ok) throw new NotFoundError(`${JSON.stringify(r)}: not found`);
  }
}
