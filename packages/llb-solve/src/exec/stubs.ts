// Mount targets that did not exist in the rootfs are created by runc as empty
// stubs; they are removed after the step (with parents we created) so they do
// not end up in the layer, as BuildKit's MountStubsCleaner does.
import { readdirSync, rmdirSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { lstatMaybe } from '@pipekit/wire';
import type { LayeredRoot } from '../fs/layered.ts';

/** The missing ancestors-and-self of each mount target, deepest first (root: a mounted rootfs or a layer chain). */
export async function missingPaths(root: string | LayeredRoot, targets: string[]): Promise<string[]> {
  const missing = new Set<string>();
  for (const t of targets) {
    let cur = t;
    while (cur !== '/' && cur !== '') {
      const exists = typeof root === 'string'
        ? lstatMaybe(path.join(root, cur)) !== undefined
        : root.lstat(cur) !== undefined;
      if (exists) break;
      missing.add(cur);
      cur = path.posix.dirname(cur);
    }
  }
  return [...missing].sort((a, b) => b.length - a.length);
}

/** True when every parent of p (inside root) is a real directory, not a symlink. */
function parentsAreDirs(root: string, p: string): boolean {
  let cur = root;
  for (const part of path.posix.dirname(p).split('/').filter(Boolean)) {
    cur = path.join(cur, part);
    if (!lstatMaybe(cur)?.isDirectory()) return false;
  }
  return true;
}

/** Synchronous: a handful of syscalls per stub, after every step. */
export async function removeStubs(root: string, stubs: string[]): Promise<void> {
  for (const p of stubs) {
    // the step may have replaced a parent by a symlink to the host: never follow it
    if (!parentsAreDirs(root, p)) continue;
    const abs = path.join(root, p);
    const st = lstatMaybe(abs);
    if (!st) continue;
    if (st.isDirectory() ? readdirSync(abs).length !== 0 : !st.isFile() || st.size !== 0) continue;
    // the parent keeps its times, so a build that changed nothing else there leaves it as it was (BuildKit #3148)
    const parent = path.dirname(abs);
    const times = statSync(parent);
    try {
      if (st.isDirectory()) rmdirSync(abs);
      else unlinkSync(abs);
      utimesSync(parent, times.atime, times.mtime);
    } catch {
      // the step's own doing (a read-only or busy dir): the stub stays
    }
  }
}
