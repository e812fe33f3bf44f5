// A RUN bind mount from the build context shows what BuildKit's shows: the
// context as transferred, so .dockerignored files are absent, every entry is
// owned by 0:0 and the context's own root is 0755. The host dir is bound as it
// is only when it already looks like that (read-only mounts); otherwise the
// selected part is copied into a throwaway dir for the step. A step that runs
// pays that copy; a cached one never mounts anything.
import { lstatSync, promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Store } from '@pipekit/cas-store';
import { wholeDirCopy } from '@pipekit/wire';
import { copyAction } from '../fs/copy.ts';
import { CONTEXT_ROOT_MODE, ignoredIn } from '../fs/copy-filter.ts';
import { resolveInContext } from '../fs/resolve.ts';

/** Every entry at and below `abs` is owned by 0:0 (stops at the first that is not). */
function allRootOwned(abs: string): boolean {
  const st = lstatSync(abs);
  if (st.uid !== 0 || st.gid !== 0) return false;
  if (!st.isDirectory()) return true;
  for (const name of readdirSync(abs)) if (!allRootOwned(path.join(abs, name))) return false;
  return true;
}

/** The host path can be bound read-only as it is: nothing ignored, all root-owned, a root of 0755. */
function asTransferred(dir: string, srcAbs: string): boolean {
  const ignore = ignoredIn(dir);
  if (ignore && !ignore.empty) return false;
  if (path.resolve(srcAbs) === path.resolve(dir) && (lstatSync(srcAbs).mode & 0o7777) !== CONTEXT_ROOT_MODE) return false;
  return allRootOwned(srcAbs);
}

/** The source to bind at the mount point for `selector` of context `dir`, and what to do after the step. */
export async function contextBindSource(store: Store, dir: string, selector: string, readonly: boolean, signal?: AbortSignal): Promise<{ source: string; close: () => Promise<void> }> {
  const srcAbs = await resolveInContext(dir, selector || '/', true);
  if (readonly && asTransferred(dir, srcAbs)) return { source: srcAbs, close: async () => {} };
  const tmp = await store.tempDir('ctx-bind');
  try {
    // the selected dir itself, not its contents: a bind shows it with its own mode (the root's as transferred)
    await copyAction(tmp, dir, { ...wholeDirCopy('/ctx'), src: selector || '/', dirCopyContents: false }, { owner: null, fromLocal: true, signal });
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return { source: path.join(tmp, 'ctx'), close: () => fs.rm(tmp, { recursive: true, force: true }) };
}
