// Mount targets that did not exist in the rootfs are created by runc as empty
// stubs; they are removed after the step (with parents we created) so they do
// not end up in the layer, as BuildKit's MountStubsCleaner does.
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** The missing ancestors-and-self of each mount target, deepest first. */
export async function missingPaths(root: string, targets: string[]): Promise<string[]> {
  const missing = new Set<string>();
  for (const t of targets) {
    let cur = t;
    while (cur !== '/' && cur !== '') {
      const exists = await fs.lstat(path.join(root, cur)).then(() => true, () => false);
      if (exists) break;
      missing.add(cur);
      cur = path.posix.dirname(cur);
    }
  }
  return [...missing].sort((a, b) => b.length - a.length);
}

export async function removeStubs(root: string, stubs: string[]): Promise<void> {
  for (const p of stubs) {
    const abs = path.join(root, p);
    const st = await fs.lstat(abs).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) {
      if ((await fs.readdir(abs)).length === 0) await fs.rmdir(abs).catch(() => undefined);
    } else if (st.isFile() && st.size === 0) await fs.rm(abs, { force: true });
  }
}
