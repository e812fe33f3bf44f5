// type=local and type=tar: the result's filesystem without image metadata.
// Layers are applied into a fresh directory — beside dest for local (so it can
// be renamed into place), under the store's tmp/ for tar — and with several
// platforms each gets its own sub-directory (linux_amd64/...), as buildx's
// platform-split does. Nothing is visible at dest until commit.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BlobStore } from '@pipekit/cas-store';
import { UsageError, formatPlatform, type ImageRecord } from '@pipekit/wire';
import { openLayerTar } from './decompress.ts';
import { openDest, tempDirBeside, type Dest, type Pending } from './dest.ts';
import { packTrees } from './fs-tar.ts';
import { elapsed } from './image.ts';
import { applyLayers } from './rootfs.ts';

export type FsOutputOptions = {
  type: 'local' | 'tar';
  dest: string;
  blobs: BlobStore;
  storeDir: string;
  /** default: split when there are several platforms */
  platformSplit?: boolean;
  /** local: copy into an existing dest (default), or replace it */
  mode?: 'copy' | 'delete';
  epoch?: number;
  stdout?: NodeJS.WritableStream;
  progress?: (line: string) => void;
};

/** Write the filesystem(s) of `images`; the result is visible at dest after commit(). */
export async function writeFilesystem(images: ImageRecord[], opts: FsOutputOptions): Promise<Pending & { digest(): string }> {
  const split = opts.platformSplit ?? images.length > 1;
  const progress = opts.progress ?? (() => {});
  if (opts.type === 'local') {
    const dest = path.resolve(opts.dest);
    const st = await fs.stat(dest).catch(() => undefined);
    if (st && !st.isDirectory()) throw new UsageError(`type=local needs a directory, but ${opts.dest} is a file`);
    const tmp = await tempDirBeside(dest);
    try {
      const started = Date.now();
      await fillTree(images, tmp, split, opts);
      await fs.chmod(tmp, 0o755);
      progress(`copying files${elapsed(started)} done`);
    } catch (err) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return { commit: () => commitDir(tmp, dest, st !== undefined, opts.mode ?? 'copy'), abort: () => fs.rm(tmp, { recursive: true, force: true }), digest: () => '' };
  }

  await fs.mkdir(path.join(opts.storeDir, 'tmp'), { recursive: true });
  const tmp = await fs.mkdtemp(path.join(opts.storeDir, 'tmp', 'export-tar-'));
  let dest: Dest | undefined;
  try {
    const dirs = await fillTree(images, tmp, split, opts);
    dest = await openDest(opts.dest, opts.stdout, { digest: true });
    const started = Date.now();
    for await (const chunk of packTrees(dirs)) await dest.write(chunk);
    progress(`sending tarball${elapsed(started)} done`);
    return dest;
  } catch (err) {
    await dest?.abort();
    throw err;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** Platform sub-directory name, as buildx names them: linux_amd64, linux_arm_v7. */
export function platformDir(p: { os: string; architecture: string; variant?: string }): string {
  return formatPlatform({ os: p.os, architecture: p.architecture, variant: p.variant ?? '' }).replaceAll('/', '_');
}

async function fillTree(images: ImageRecord[], root: string, split: boolean, opts: FsOutputOptions): Promise<{ dir: string; prefix: string }[]> {
  const out: { dir: string; prefix: string }[] = [];
  for (const img of images) {
    const prefix = split ? platformDir(img.platform ?? img.config) : '';
    const dir = prefix ? path.join(root, prefix) : root;
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    const layers = img.layers.map((l) => ({ label: l.diffID, tar: () => openLayerTar(opts.blobs, l.blob) }));
    await applyLayers(layers, dir, { epoch: opts.epoch, warn: opts.progress });
    if (!out.some((o) => o.dir === dir)) out.push({ dir, prefix });
  }
  return out;
}

/** Make the tree at tmp appear at dest: rename when dest is new; otherwise merge into it (copy) or swap it (delete). */
async function commitDir(tmp: string, dest: string, existed: boolean, mode: 'copy' | 'delete'): Promise<void> {
  if (!existed) return fs.rename(tmp, dest);
  if (mode === 'delete') {
    const aside = `${tmp}-old`;
    await fs.rename(dest, aside);
    await fs.rename(tmp, dest);
    await fs.rm(aside, { recursive: true, force: true });
    return;
  }
  await mergeInto(tmp, dest);
  await fs.rm(tmp, { recursive: true, force: true });
}

/** Move every entry of src into dst: directories merge, anything else replaces what is there. */
async function mergeInto(src: string, dst: string): Promise<void> {
  for (const name of await fs.readdir(src)) {
    const from = path.join(src, name);
    const to = path.join(dst, name);
    const [a, b] = await Promise.all([fs.lstat(from), fs.lstat(to).catch(() => undefined)]);
    if (a.isDirectory() && b?.isDirectory()) {
      await mergeInto(from, to);
      await fs.chmod(to, a.mode & 0o7777);
      await fs.utimes(to, a.atime, a.mtime);
      continue;
    }
    if (b?.isDirectory()) await fs.rm(to, { recursive: true, force: true });
    await fs.rename(from, to);
  }
}
