// The cgroups of a step started by a runner (see runners.ts; the runner makes
// them, see wire's runnerCommand), as crun makes a container's on a cgroup v1
// layout: one in each hierarchy this process is in, at the hierarchy's top,
// named by the container id (so the janitor finds a killed build's by the pid
// in the name); a device list that denies all but crun's default devices, as a
// step's spec asks; cpuset seeded from its parent, as the kernel leaves a new
// one empty.
import { promises as fs } from 'node:fs';
import path from 'node:path';

// crun's list for a container whose spec denies every device (the defaults it makes in /dev)
export const DEVICE_RULES = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 5:1 rwm', 'c 136:* rwm', 'c 5:2 rwm'];

/**
 * The lines of /proc/self/cgroup: each hierarchy's directory name under
 * /sys/fs/cgroup ('' for the v2 one) and this process's cgroup in it.
 */
export function procCgroups(cgroupText: string): { hierarchy: string; path: string }[] {
  const out: { hierarchy: string; path: string }[] = [];
  for (const line of cgroupText.split('\n')) {
    const m = /^\d+:([^:]*):(\/.*)$/.exec(line);
    // a named hierarchy (name=systemd) is mounted by its name
    if (m) out.push({ hierarchy: m[1].replace(/^name=/, ''), path: m[2] });
  }
  return out;
}

/** The v1 hierarchies of `cgroupText` (/proc/self/cgroup) as directories under `root`. */
export function v1Hierarchies(cgroupText: string, root = '/sys/fs/cgroup'): string[] {
  return procCgroups(cgroupText).flatMap((c) => (c.hierarchy ? [path.join(root, c.hierarchy)] : []));
}

/**
 * Remove cgroup `id` from each of `hierarchies`. A cgroup is busy for a moment
 * after its last process has exited, until the kernel has reaped it: tried again
 * for up to about a second; what stays is left for the janitor.
 */
export async function removeStepCgroups(id: string, hierarchies: string[]): Promise<void> {
  for (const h of hierarchies) {
    for (let i = 0; ; i++) {
      const err = await fs.rmdir(path.join(h, id)).then(() => undefined, (e: NodeJS.ErrnoException) => e);
      if (err?.code !== 'EBUSY' || i >= 20) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
