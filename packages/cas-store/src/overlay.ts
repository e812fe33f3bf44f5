// overlayfs mounts over snapshot chains. Lowerdirs are passed relative to the
// snapshot root (mount runs there) so deep chains fit the 4 KiB option limit.
import { promises as fs } from 'node:fs';
import { execa } from 'execa';
import { PipekitError } from '@pipekit/wire';
import type { SnapshotStore } from './snapshots.ts';

export type OverlaySpec = {
  /** snapshot ids, bottom layer first (image order) */
  layers: string[];
  /** writable upper and its work dir (absolute); omit for a read-only view */
  upper?: { dir: string; work: string };
  target: string;
};

export async function mountOverlay(snaps: SnapshotStore, spec: OverlaySpec): Promise<void> {
  await snaps.emptyDir();
  const lowers = [...spec.layers].reverse();
  // overlay wants one lower with an upper, and two without one
  if (lowers.length === 0) lowers.push('empty');
  if (!spec.upper && lowers.length === 1) lowers.push('empty');
  const opts = [`lowerdir=${lowers.join(':')}`];
  if (spec.upper) opts.push(`upperdir=${spec.upper.dir}`, `workdir=${spec.upper.work}`);
  opts.push('index=off');
  await fs.mkdir(spec.target, { recursive: true });
  const res = await execa('mount', ['-t', 'overlay', 'overlay', '-o', opts.join(','), spec.target], { cwd: snaps.root, reject: false });
  if (res.exitCode !== 0) {
    throw new PipekitError(`cannot mount overlay at ${spec.target}: ${String(res.stderr).trim() || `exit ${res.exitCode}`}`);
  }
}

export async function unmount(target: string): Promise<void> {
  const res = await execa('umount', [target], { reject: false });
  if (res.exitCode !== 0) {
    // a process may still hold it briefly; detach rather than leak the mount
    await execa('umount', ['-l', target], { reject: false });
  }
}
