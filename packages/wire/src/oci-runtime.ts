// Which OCI runtime runs RUN steps, and the command line that starts it.
// crun starts a container in about a third of runc's time on this kind of
// machine: runc is a Go program that compiles the seccomp profile at every
// start, crun is C and loads a filter compiled once. runc stays the fallback.
//
// PIPEKIT_OCI_RUNTIME picks one: `crun`, `runc` or `auto` (the default: crun
// when it is installed and the build is not rootless, else runc). Rootless
// builds keep runc, the runtime their set-up was made and tested with.
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { PipekitError } from './errors.ts';
import { parseMountinfo } from './mountinfo.ts';
import { runCommand, type SpawnOptions, type SpawnResult } from './spawn.ts';
import { inUserNamespace, runtimeDir } from './runtime.ts';

export type OciRuntimeName = 'crun' | 'runc';

export type OciRuntime = {
  name: OciRuntimeName;
  /** the binary, as found on PATH */
  bin: string;
  /** its state directory (--root) */
  root: string;
  /** crun on a hybrid cgroup layout it refuses (see below) */
  hybrid: boolean;
  /** the shell that runs the wrapper's script (see runtimeCommand) */
  shell: string[];
  /** what makes the wrapper die with the process that started it (see parentDeathGuard) */
  guard: string[];
};

export const RUNTIME_NAMES: readonly OciRuntimeName[] = ['crun', 'runc'];

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * crun refuses a "hybrid" cgroup layout (v1 hierarchies plus a cgroup2 mount at
 * /sys/fs/cgroup/unified) when that cgroup2 has controllers. Hidden from it,
 * crun sees the v1 layout, which is what runc uses on such a host anyway. So
 * there crun starts in a mount namespace of its own (a copy of the current
 * one, so every mount made so far is seen) without that cgroup2 mount.
 */
export function hybridCgroupWithControllers(
  mountinfo = readText('/proc/self/mountinfo'),
  controllers = () => readText('/sys/fs/cgroup/unified/cgroup.controllers'),
): boolean {
  let tmpfsRoot = false;
  let unified = false;
  for (const m of parseMountinfo(mountinfo ?? '')) {
    if (m.point === '/sys/fs/cgroup') tmpfsRoot = m.type === 'tmpfs';
    if (m.point === '/sys/fs/cgroup/unified') unified = m.type === 'cgroup2';
  }
  // read only on a hybrid layout
  return tmpfsRoot && unified && (controllers() ?? '').trim() !== '';
}

/** A file's text; undefined when it cannot be read. */
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

let chosen: OciRuntime | undefined;

/** The runtime for this process's RUN steps (decided once). */
export function ociRuntime(): OciRuntime {
  if (!chosen) {
    const { name, bin } = chooseRuntime(process.env.PIPEKIT_OCI_RUNTIME || 'auto', inUserNamespace(), onPath);
    // an absent runtime is reported when a step tries to start it
    chosen = ociRuntimeNamed(name, bin);
  }
  return chosen;
}

/** Which runtime `want` (crun, runc or auto) means, given where binaries are found. */
export function chooseRuntime(want: string, rootless: boolean, find: (name: string) => string | undefined): { name: OciRuntimeName; bin: string } {
  if (want === 'auto') {
    const crun = rootless ? undefined : find('crun');
    if (crun) return { name: 'crun', bin: crun };
    return { name: 'runc', bin: find('runc') ?? 'runc' };
  }
  if (!RUNTIME_NAMES.includes(want as OciRuntimeName)) {
    throw new PipekitError(`PIPEKIT_OCI_RUNTIME=${want}: expected crun, runc or auto`);
  }
  return { name: want as OciRuntimeName, bin: find(want) ?? want };
}

/** Runtime `name` as this process starts it (`bin` defaults to the name, found on PATH when run). */
export function ociRuntimeNamed(name: OciRuntimeName, bin: string = name): OciRuntime {
  return { name, bin, root: ociRoot(name), hybrid: name === 'crun' && hybridCgroupWithControllers(), shell: wrapperShell(), guard: parentDeathGuard() };
}

/**
 * util-linux's setpriv, where it is installed, starts the wrapper with a
 * parent-death signal: when the build is killed alone (the OOM killer, a
 * `kill -9` of its pid), the kernel kills the wrapper, and with it the
 * container (see runtimeCommand), instead of leaving the step running until
 * the next tool that opens the store stops it. Node and Deno both spawn from
 * the main thread, whose exit is the process's, so the signal means just that.
 */
export function parentDeathGuard(find: (name: string) => string | undefined = onPath): string[] {
  const setpriv = find('setpriv');
  return setpriv ? [setpriv, '--pdeathsig', 'KILL'] : [];
}

/**
 * A static busybox's shell where there is one (setup installs it): it runs
 * mount and umount as built-in applets, without starting util-linux's
 * dynamically linked ones, which takes ~2.5 ms off every crun step here.
 */
export function wrapperShell(busybox = '/bin/busybox'): string[] {
  try {
    accessSync(busybox, constants.X_OK);
    return [busybox, 'sh'];
  } catch {
    return ['sh'];
  }
}

/** The state directory of `name`'s containers. */
export function ociRoot(name: OciRuntimeName): string {
  return path.join(runtimeDir(), name);
}

// a copy of the current mount namespace (every mount made so far is there), with a /proc for the new pid namespace
const WRAPPER_NS = ['--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--mount-proc'];

/** unshare with `args`, through rt.guard when there is one */
function guarded(rt: OciRuntime, args: string[]): { cmd: string; args: string[] } {
  return rt.guard.length ? { cmd: rt.guard[0], args: [...rt.guard.slice(1), 'unshare', ...args] } : { cmd: 'unshare', args };
}

/** what hides a hybrid layout's cgroup2 mount from crun, in the wrapper's mount namespace */
export const HIDE_UNIFIED = 'mount -t tmpfs -o size=64k,mode=755 pipekit /sys/fs/cgroup/unified';

/**
 * The command line that runs `rt` with `args`: a wrapper gives the runtime a
 * pid namespace of its own, with the runtime as its init. Both runtimes put a
 * container's process in a session of its own, out of reach of a kill sent to
 * the build's process group, and neither ends it when the runtime is killed;
 * but when a namespace's init dies the kernel kills everything in it, and
 * unshare's --kill-child makes the runtime die with the wrapper. So killing
 * the wrapper stops the container, whatever state the runtime is in.
 *
 * For crun the wrapper also hides the cgroup2 mount of a hybrid layout (under
 * a tmpfs of the namespace's own, not by unmounting it: crun still makes a
 * directory for the container there, which would otherwise stay behind in the
 * host's /sys/fs/cgroup tmpfs, hidden under the cgroup2 mount) and
 * mounts `root`, the overlay of a RUN step's root: runc mounts it itself (a
 * mount at / in the spec), crun cannot, so it is mounted in the wrapper's mount
 * namespace, where it goes away with the container.
 *
 * With `rt.guard`, the wrapper is started through it (setpriv, which then runs
 * unshare): the wrapper dies when the build does, even when only the build was killed.
 */
export function runtimeCommand(rt: OciRuntime, args: string[], root?: { options: string[]; target: string }): { cmd: string; args: string[] } {
  const argv = [rt.bin, '--root', rt.root, ...args];
  const steps: string[] = [];
  const pre: string[] = [];
  if (rt.hybrid) steps.push(HIDE_UNIFIED);
  if (root && rt.name === 'crun') {
    steps.push('mount -t overlay overlay -o "$1" "$2"', 'shift 2');
    pre.push(root.options.join(','), root.target);
  }
  if (steps.length === 0) return guarded(rt, [...WRAPPER_NS, ...argv]);
  return guarded(rt, [...WRAPPER_NS, ...rt.shell, '-c', `${steps.join(' && ')} && exec "$@"`, 'pipekit-runtime', ...pre, ...argv]);
}

/** The first line a runner writes: it is in its cgroups and waits for its step. */
export const RUNNER_READY = 'R\n';

/**
 * A wrapper started ahead of its step (a "runner"): namespaces as
 * runtimeCommand's, it makes the step's cgroups, one named `id` at the top of
 * each of `hierarchies` (cgroup v1 directories) as crun would (cpuset seeded
 * from its parent; every device refused but `deviceRules`), joins them, says
 * RUNNER_READY on stdout, and waits. Its stdin then brings two lines, the
 * bundle and the root overlay's options, and it mounts that root and becomes
 * crun with its cgroup manager off: the container starts in the cgroups the
 * runner joined. Spawning the wrapper and joining cgroups (a cgroup v1 move
 * waits for an RCU grace period, 7-21 ms here) are then done before the step
 * is due, and by the runner's own process. stdin closed without lines ends it.
 * What it made is removed by its starter, after it exits.
 */
export function runnerCommand(rt: OciRuntime, id: string, hierarchies: string[], deviceRules: string[]): { cmd: string; args: string[] } {
  if (rt.name !== 'crun') throw new PipekitError(`runners start crun, not ${rt.name}`);
  const script = [
    ...(rt.hybrid ? [`${HIDE_UNIFIED} || exit 1`] : []),
    'bin=$1 root=$2 id=$3 rules=$4',
    'shift 4',
    'for h in "$@"; do',
    '  mkdir "$h/$id" || exit 1',
    '  if [ -e "$h/cpuset.cpus" ]; then',
    '    for f in cpuset.cpus cpuset.mems; do read -r v < "$h/$f" && echo "$v" > "$h/$id/$f" || exit 1; done',
    '  fi',
    '  if [ -e "$h/devices.deny" ]; then',
    '    echo a > "$h/$id/devices.deny" || exit 1',
    // rules hold spaces and globs: split on ; alone, unexpanded
    '    set -f; IFS=";"; for r in $rules; do echo "$r" > "$h/$id/devices.allow" || exit 1; done; unset IFS; set +f',
    '  fi',
    'done',
    // "0": the writing process
    'for h in "$@"; do echo 0 > "$h/$id/cgroup.procs" || exit 1; done',
    'echo R',
    'IFS= read -r bundle || exit 0',
    'IFS= read -r opts || exit 0',
    'mount -t overlay overlay -o "$opts" "$bundle/rootfs" || exit 1',
    'exec "$bin" --cgroup-manager=disabled --root "$root" run --bundle "$bundle" "$id" </dev/null',
  ].join('\n');
  return guarded(rt, [...WRAPPER_NS, ...rt.shell, '-c', script, 'pipekit-runner', rt.bin, rt.root, id, deviceRules.join(';'), ...hierarchies]);
}

/** Runs `rt` with `args` (through runtimeCommand); never rejects, as runCommand. */
export function runRuntime(rt: OciRuntime, args: string[], opts: SpawnOptions = {}, root?: { options: string[]; target: string }): Promise<SpawnResult> {
  const c = runtimeCommand(rt, args, root);
  return runCommand(c.cmd, c.args, opts);
}
