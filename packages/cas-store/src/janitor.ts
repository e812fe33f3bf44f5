// What a killed process leaves behind: temp dirs under tmp/ and snapshots/tmp/
// (maybe with overlay mounts on them, and a container still using them when
// llb-solve alone was killed: its runtime runs on), half-written index files.
// Names carry the writer's pid, so only leftovers of dead processes are
// removed; a live build's work is never touched.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { ociRuntimeNamed, parseMountinfo, runCommand, runRuntime, RUNTIME_NAMES } from '@pipekit/wire';
import { pidAlive, pidInName } from './lock.ts';

export type Leftover = { path: string; why: string };

/** Mount points at or below `dir`, deepest first (from /proc/self/mountinfo). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const out: string[] = [];
  for (const { point } of parseMountinfo(info)) {
    if (point === dir || point.startsWith(prefix)) out.push(point);
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Temp entries of processes that are gone (entries without a pid count only when `noPidToo`). */
export async function findLeftovers(storeDir: string, opts: { noPidToo?: boolean } = {}): Promise<Leftover[]> {
  const out: Leftover[] = [];
  const scan = async (dir: string, what: string) => {
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const pid = pidInName(name);
      if (pid === undefined ? opts.noPidToo : !pidAlive(pid)) {
        out.push({ path: path.join(dir, name), why: pid === undefined ? `${what} left by an earlier version` : `${what} of process ${pid}, which is gone` });
      }
    }
  };
  await scan(path.join(storeDir, 'tmp'), 'temp entry');
  await scan(path.join(storeDir, 'snapshots', 'tmp'), 'unfinished snapshot');
  for (const sub of ['cachemounts']) {
    for (const name of await fs.readdir(path.join(storeDir, sub)).catch(() => [] as string[])) {
      // .new-/.private- copies carry no pid: only removed when no build runs (noPidToo)
      if (opts.noPidToo && /^\.(new|private)-/.test(name)) out.push({ path: path.join(storeDir, sub, name), why: 'cache mount copy of a build that is gone' });
    }
  }
  return out;
}

/** Which containers to stop: bundles inside `dirs`, or named for one of `pids` (their process is gone). */
export type ContainerSelection = { dirs?: string[]; pids?: number[] };

function selected(sel: ContainerSelection, bundle: string): boolean {
  if (sel.dirs?.some((d) => bundle === d || bundle.startsWith(`${d}/`))) return true;
  const pid = pidInName(path.basename(bundle));
  return pid !== undefined && (sel.pids?.includes(pid) ?? false);
}

/** Processes started with `--bundle` and a selected bundle: a runtime's `run`, and crun's wrapper. */
async function runtimeProcesses(sel: ContainerSelection): Promise<number[]> {
  const out: number[] = [];
  for (const name of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const argv = (await fs.readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const i = argv.indexOf('--bundle');
    if (i >= 0 && i + 1 < argv.length && selected(sel, argv[i + 1])) out.push(Number(name));
  }
  return out;
}

/**
 * Stop selected containers (their llb-solve was killed) and remove their
 * runtime state. A container lives in the pid namespace of its runtime process
 * (wire's runtimeCommand), so killing that process ends it.
 */
export async function stopContainers(sel: ContainerSelection): Promise<void> {
  if (!sel.dirs?.length && !sel.pids?.length) return;
  const procs = await runtimeProcesses(sel);
  for (const pid of procs) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // a namespace's init exits last: once it has, nothing of the container writes any more
  for (let i = 0; i < 250 && procs.some(pidAlive); i++) await new Promise((r) => setTimeout(r, 20));
  for (const name of RUNTIME_NAMES) {
    const rt = ociRuntimeNamed(name);
    const run = (args: string[]) => runRuntime(rt, args);
    const res = await run(['list', '--format', 'json']);
    // not installed, or no containers ever ran
    if (res.code !== 0) continue;
    let list: { id: string; bundle: string }[] = [];
    try {
      list = JSON.parse(String(res.stdout) || '[]') ?? [];
    } catch {
      continue;
    }
    for (const c of list) {
      if (selected(sel, c.bundle)) await run(['delete', '--force', c.id]);
    }
    // a runtime killed while it created a container leaves state it does not
    // list; container ids carry their llb-solve's pid
    for (const id of await fs.readdir(rt.root).catch(() => [] as string[])) {
      const pid = pidInName(id);
      if (pid === undefined || !sel.pids?.includes(pid)) continue;
      await fs.rm(path.join(rt.root, id), { recursive: true, force: true });
    }
  }
  // and cgroups, named for the container (or runner) as well
  await removeCgroupsOf(sel.pids ?? []);
}

/**
 * Remove the (empty) cgroups of containers of `pids` (a list, or a test of a
 * pid) at the top of each cgroup hierarchy: ids carry their llb-solve's pid. A step started by a runner (see
 * llb-solve's exec/runners.ts) has cgroups made by llb-solve, which no
 * runtime's state names, and a runner killed before its step has no state at all.
 */
export async function removeCgroupsOf(pids: number[] | ((pid: number) => boolean), mountinfo?: string): Promise<void> {
  if (Array.isArray(pids) && pids.length === 0) return;
  const wanted = Array.isArray(pids) ? (pid: number) => pids.includes(pid) : pids;
  const info = mountinfo ?? (await fs.readFile('/proc/self/mountinfo', 'utf8').catch(() => ''));
  for (const m of parseMountinfo(info)) {
    if (m.type !== 'cgroup' && m.type !== 'cgroup2') continue;
    for (const name of await fs.readdir(m.point).catch(() => [] as string[])) {
      const pid = name.startsWith('pk-') ? pidInName(name) : undefined;
      if (pid !== undefined && wanted(pid)) await fs.rmdir(path.join(m.point, name)).catch(() => undefined);
    }
  }
}

/** Unmount what is mounted on a leftover, then delete it (after stopping containers of its process). */
export async function removeLeftovers(items: Leftover[]): Promise<void> {
  const pids = items.flatMap((i) => pidInName(path.basename(i.path)) ?? []);
  await stopContainers({ dirs: items.map((i) => i.path), pids });
  for (const item of items) {
    for (const mp of await mountsUnder(item.path)) {
      const r = await runCommand('umount', [mp]);
      if (r.code !== 0) await runCommand('umount', ['-l', mp]);
    }
    await fs.rm(item.path, { recursive: true, force: true });
  }
}

/** Remove every leftover of dead processes; returns what was removed. */
export async function cleanLeftovers(storeDir: string, opts: { noPidToo?: boolean } = {}): Promise<Leftover[]> {
  const items = await findLeftovers(storeDir, opts);
  await removeLeftovers(items);
  return items;
}
