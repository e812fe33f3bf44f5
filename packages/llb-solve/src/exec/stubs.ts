// Mount targets that did not exist in the rootfs are created by runc as empty
// stubs; they are removed after the step (with parents we created) so they do
// not end up in the layer, as BuildKit's MountStubsCleaner does.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { LayeredRoot } from '../fs/layered.ts';

/** The missing ancestors-and-self of each mount target, deepest first (root: a mounted rootfs or a layer chain). */
export async function missingPaths(root: string | LayeredRoot, targets: string[]): Promise<string[]> {
  const missing = new Set<string>();
  for (const t of targets) {
    let cur = t;
    while (cur !== '/' && cur !== '') {
      const exists = typeof root === 'string'
        ? await fs.lstat(path.join(root, cur)).then(() => true, () => false)
        : root.lstat(cur) !== undefined;
      if (exists) break;
      missing.add(cur);
      cur = path.posix.dirname(cur);
    }
  }
  return [...missing].sort((a, b) => b.length - a.length);
}

/** True when every parent of p (inside root) is a real directory, not a symlink. */
async function parentsAreDirs(root: string, p: string): Promise<boolean> {
  let cur = root;
  for (const part of path.posix.dirname(p).split('/').filter(Boolean)) {
    cur = path.join(cur, part);
    const st = await fs.lstat(cur).catch(() => undefined);
    if (!st?.isDirectory()) return false;
  }
  return true;
}

export async function removeStubs(root: string, stubs: string[]): Promise<void> {
  for (const p of stubs) {
    // the step may have replaced a parent by a symlink to the host: never follow it
    if (!(await parentsAreDirs(root, p))) continue;
    const abs = path.join(root, p);
    const st = await fs.lstat(abs).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory() ? (await fs.readdir(abs)).length !== 0 : !st.isFile() || st.size !== 0) continue;
    // the parent keeps its times, so a build that changed nothing else there leaves it as it was (BuildKit #3148)
    const parent = await fs.stat(path.dirname(abs));
    await (st.isDirectory() ? fs.rmdir(abs) : fs.rm(abs, { force: true })).catch(() => undefined);
    await fs.utimes(path.dirname(abs), parent.atime, parent.mtime).catch(() => undefined);
  }
}
