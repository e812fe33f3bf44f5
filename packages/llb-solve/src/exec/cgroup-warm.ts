// A container's start moves its first process into its cgroups. On cgroup v1
// that move takes a global lock whose first writer waits for an RCU grace
// period (7-21 ms on this machine), unless another move ended within about a
// grace period before. Steps of a build start seconds apart, so each one paid
// it: 23-36 ms per start, against 12-16 ms with no cgroup at all.
//
// As the runtime starts, this process is moved into the cgroup it is already
// in (a move that changes nothing): the grace period then runs while the
// runtime starts up (~13 ms from spawn to its own move), which then finds the
// lock warm or joins the wait already under way.
import { readFileSync, promises as fs } from 'node:fs';
import process from 'node:process';
import { procCgroups } from './step-cgroups.ts';

/**
 * The cgroup.procs file of this process's own cgroup in `cgroupText`
 * (/proc/self/cgroup): a v1 hierarchy's where there is one, else the v2 one.
 */
export function ownCgroupProcs(cgroupText: string, root = '/sys/fs/cgroup'): string | undefined {
  const all = procCgroups(cgroupText);
  const own = all.find((c) => c.hierarchy) ?? all[all.length - 1];
  if (!own) return undefined;
  const rel = own.path === '/' ? '' : own.path;
  return `${root}${own.hierarchy ? `/${own.hierarchy}` : ''}${rel}/cgroup.procs`;
}

let target: string | undefined | null = null;

/** Start the no-op move; never throws, and stops trying after the first failure (not root, no cgroupfs). */
export function warmCgroupMove(): void {
  if (target === null) {
    try {
      target = ownCgroupProcs(readFileSync('/proc/self/cgroup', 'utf8'));
    } catch {
      target = undefined;
    }
  }
  if (!target) return;
  const file = target;
  fs.writeFile(file, String(process.pid)).catch(() => {
    target = undefined;
  });
}
