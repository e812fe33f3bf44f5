// overlayfs mounts over snapshot chains. Lowerdirs are passed relative to the
// snapshot root (mount runs there) so deep chains fit the 4 KiB option limit.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { inUserNamespace, PipekitError, runCommand } from '@pipekit/wire';
import type { SnapshotStore } from './snapshots.ts';

export type OverlaySpec = {
  /** snapshot ids, bottom layer first (image order) */
  layers: string[];
  /** writable upper and its work dir (absolute); omit for a read-only view */
  upper?: { dir: string; work: string };
  target: string;
};

/**
 * overlayfs refuses a lowerdir list that names one directory twice (ELOOP), and
 * identical layers (an empty RUN diff, say) share one snapshot. Empty layers
 * change nothing and are dropped; a repeated non-empty one gets its own copy.
 */
async function distinctLayers(snaps: SnapshotStore, layers: string[], target: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Map<string, number>();
  for (const id of layers) {
    if (path.isAbsolute(id)) {
      out.push(id);
      continue;
    }
    if (await isEmptySnapshot(snaps, id, target)) continue;
    const n = seen.get(id) ?? 0;
    seen.set(id, n + 1);
    if (n === 0) out.push(id);
    else if (out[out.length - 1] === id || out[out.length - 1]?.startsWith(`${id}.`)) continue; // same layer twice in a row: no-op
    else out.push(await copyOf(snaps, id, n));
  }
  return out;
}

// a committed snapshot never changes, so whether it is empty is asked once per
// process (a chain of N layers is mounted for every step on top of it)
const emptiness = new Map<string, boolean>();

async function isEmptySnapshot(snaps: SnapshotStore, id: string, target: string): Promise<boolean> {
  const dir = snaps.dir(id);
  const known = emptiness.get(dir);
  if (known !== undefined) return known;
  const entries = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    throw new PipekitError(`cannot mount overlay at ${target}: snapshot ${id} ${err.code === 'ENOENT' ? 'is missing from the store' : `is unreadable: ${err.message}`}`, { cause: err });
  });
  emptiness.set(dir, entries.length === 0);
  return entries.length === 0;
}

/** A second (n-th) physical copy of a snapshot, for chains that repeat a layer. */
async function copyOf(snaps: SnapshotStore, id: string, n: number): Promise<string> {
  const copy = `${id}.${n}`;
  if (await snaps.exists(copy)) return copy;
  const tmp = path.join(snaps.root, 'tmp', `copy-${process.pid}-${Date.now()}-${n}`);
  await fs.mkdir(path.dirname(tmp), { recursive: true });
  const res = await runCommand('cp', ['-a', snaps.dir(id), tmp]);
  if (res.code !== 0) throw new PipekitError(`cannot copy snapshot ${id}: ${res.stderr.trim()}`);
  await fs.rename(tmp, snaps.dir(copy)).catch(async () => fs.rm(tmp, { recursive: true, force: true }));
  return copy;
}

const ensured = new Set<string>();

/**
 * The overlay mount options for `spec`. Lowerdirs are relative to the snapshot
 * root unless `absolute` (for a mount made elsewhere, e.g. by runc).
 */
export async function overlayOptions(snaps: SnapshotStore, spec: Omit<OverlaySpec, 'target'>, where: string, absolute = false): Promise<string[]> {
  if (!ensured.has(snaps.root)) {
    await snaps.emptyDir();
    // a read-only overlay needs two distinct lowers; this is the second empty one
    await fs.mkdir(snaps.dir('empty2'), { recursive: true });
    ensured.add(snaps.root);
  }
  const lowers = (await distinctLayers(snaps, spec.layers, where)).reverse();
  // overlay wants one lower with an upper, and two without one
  if (lowers.length === 0) lowers.push('empty');
  if (!spec.upper && lowers.length === 1) lowers.push('empty2');
  const named = absolute ? lowers.map((l) => path.resolve(snaps.root, l)) : lowers;
  const opts = [`lowerdir=${named.join(':')}`];
  if (spec.upper) opts.push(`upperdir=${spec.upper.dir}`, `workdir=${spec.upper.work}`);
  opts.push('index=off');
  // in a user namespace (rootless) overlay keeps its markers in user.* xattrs
  if (inUserNamespace()) opts.push('userxattr');
  return opts;
}

export async function mountOverlay(snaps: SnapshotStore, spec: OverlaySpec): Promise<void> {
  const opts = await overlayOptions(snaps, spec, spec.target);
  await fs.mkdir(spec.target, { recursive: true });
  const mount = (o: string[]) => runCommand('mount', ['-t', 'overlay', 'overlay', '-o', o.join(','), spec.target], { cwd: snaps.root });
  // volatile: unmounting does not sync the whole upper filesystem (seconds on a
  // slow disk after a big COPY); the store makes no power-loss promise, and a
  // crashed step's upper is never reused. Kernels before 5.10 lack it.
  // A volatile mount leaves work/incompat/volatile behind and the kernel refuses
  // to mount that workdir again until it is gone; only a cleanly unmounted
  // workdir is ever mounted again (a crashed step's upper is discarded).
  if (spec.upper) await fs.rm(path.join(spec.upper.work, 'work', 'incompat', 'volatile'), { recursive: true, force: true });
  let res = spec.upper ? await mount([...opts, 'volatile']) : await mount(opts);
  if (res.code !== 0 && spec.upper) res = await mount(opts);
  if (res.code !== 0) {
    throw new PipekitError(`cannot mount overlay at ${spec.target}: ${res.stderr.trim() || `exit ${res.code}`}`);
  }
}

export async function unmount(target: string): Promise<void> {
  const res = await runCommand('umount', [target]);
  if (res.code !== 0) {
    // a process may still hold it briefly; detach rather than leak the mount
    await runCommand('umount', ['-l', target]);
  }
}
