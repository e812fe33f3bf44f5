import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PipekitError } from './errors.ts';
import { chooseRuntime, hybridCgroupWithControllers, parentDeathGuard, RUNNER_READY, runnerCommand, runtimeCommand, wrapperShell, type OciRuntime } from './oci-runtime.ts';

// mountinfo lines: id parent dev root mountpoint opts [optional] - fstype source superopts
const line = (mp: string, fstype: string) => `30 1 0:26 / ${mp} rw,nosuid shared:9 - ${fstype} x rw`;
const HYBRID = [line('/', 'ext4'), line('/sys/fs/cgroup', 'tmpfs'), line('/sys/fs/cgroup/unified', 'cgroup2'), line('/sys/fs/cgroup/pids', 'cgroup')].join('\n');
const V1 = [line('/', 'ext4'), line('/sys/fs/cgroup', 'tmpfs'), line('/sys/fs/cgroup/pids', 'cgroup')].join('\n');
const V2 = [line('/', 'ext4'), line('/sys/fs/cgroup', 'cgroup2')].join('\n');

const LAYOUTS: [string, string, string, boolean][] = [
  ['hybrid, a controller in cgroup2', HYBRID, 'hugetlb\n', true],
  ['hybrid, no controller in cgroup2', HYBRID, '\n', false],
  ['v1 only', V1, 'hugetlb\n', false],
  ['v2 only', V2, 'cpu memory pids\n', false],
  ['no cgroups mounted', line('/', 'ext4'), 'cpu\n', false],
];
for (const [name, info, controllers, want] of LAYOUTS) {
  test(`crun needs the hybrid wrapper: ${name} -> ${want}`, () => {
    assert.is(hybridCgroupWithControllers(info, () => controllers), want);
  });
}

const found = (names: string[]) => (n: string) => (names.includes(n) ? `/usr/bin/${n}` : undefined);
const CHOICES: [string, boolean, string[], { name: string; bin: string }][] = [
  ['auto', false, ['crun', 'runc'], { name: 'crun', bin: '/usr/bin/crun' }],
  ['auto', false, ['runc'], { name: 'runc', bin: '/usr/bin/runc' }],
  // rootless builds keep runc
  ['auto', true, ['crun', 'runc'], { name: 'runc', bin: '/usr/bin/runc' }],
  // none installed: the step's start says so
  ['auto', false, [], { name: 'runc', bin: 'runc' }],
  ['runc', false, ['crun', 'runc'], { name: 'runc', bin: '/usr/bin/runc' }],
  ['crun', true, ['crun', 'runc'], { name: 'crun', bin: '/usr/bin/crun' }],
  ['crun', false, ['runc'], { name: 'crun', bin: 'crun' }],
];
for (const [want, rootless, installed, expected] of CHOICES) {
  test(`runtime ${want}${rootless ? ' (rootless)' : ''} with [${installed}] is ${expected.name}`, () => {
    assert.equal(chooseRuntime(want, rootless, found(installed)), expected);
  });
}

test('an unknown runtime name is refused, naming the choices', () => {
  assert.throws(() => chooseRuntime('kata', false, found(['runc'])), (e: Error) => e instanceof PipekitError && /PIPEKIT_OCI_RUNTIME=kata: expected crun, runc or auto/.test(e.message));
});

const RT = (name: 'crun' | 'runc', hybrid: boolean): OciRuntime => ({ name, bin: `/usr/bin/${name}`, root: `/run/x/${name}`, hybrid, shell: ['sh'], guard: [] });
const ROOT = { options: ['lowerdir=/a:/b', 'upperdir=/u', 'workdir=/w'], target: '/bundle/rootfs' };

// the runtimes' wrapper: a mount namespace and a pid namespace whose init the runtime is, dying with the wrapper
const NS = ['--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--mount-proc'];

test('both runtimes start in namespaces of their own; runc mounts the root itself', () => {
  assert.equal(runtimeCommand(RT('runc', false), ['run', 'x'], ROOT), { cmd: 'unshare', args: [...NS, '/usr/bin/runc', '--root', '/run/x/runc', 'run', 'x'] });
  assert.equal(runtimeCommand(RT('crun', false), ['kill', 'x', 'KILL']), { cmd: 'unshare', args: [...NS, '/usr/bin/crun', '--root', '/run/x/crun', 'kill', 'x', 'KILL'] });
});

/** Run the wrapper's script with `sh`, its commands replaced by echo, and return what it would have done. */
function dryRun(c: { cmd: string; args: string[] }): string {
  assert.is(c.cmd, 'unshare');
  assert.equal(c.args.slice(0, NS.length + 1), [...NS, 'sh']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pk-wrapper-'));
  try {
    for (const tool of ['mount', 'umount']) {
      writeFileSync(path.join(dir, tool), `#!/bin/sh\necho ${tool} "$@" >> ${dir}/log\n`, { mode: 0o755 });
    }
    // the runtime binary itself: /usr/bin/crun would really run; exec echo instead
    const args = c.args.slice(NS.length + 1).map((a) => (a === '/usr/bin/crun' ? 'echo' : a));
    const out = execFileSync('sh', args, { env: { PATH: `${dir}:/usr/bin:/bin` } }).toString();
    let log = '';
    try {
      log = readFileSync(path.join(dir, 'log'), 'utf8');
    } catch {
      // nothing mounted
    }
    return log + out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('crun gets its root overlay mounted by the wrapper, options passed whole', () => {
  assert.is(dryRun(runtimeCommand(RT('crun', false), ['run', '--bundle', '/bundle', 'x'], ROOT)),
    'mount -t overlay overlay -o lowerdir=/a:/b,upperdir=/u,workdir=/w /bundle/rootfs\n--root /run/x/crun run --bundle /bundle x\n');
});

test('on a hybrid layout the wrapper first hides the cgroup2 mount under a tmpfs of its own', () => {
  assert.is(dryRun(runtimeCommand(RT('crun', true), ['run', 'x'], ROOT)),
    'mount -t tmpfs -o size=64k,mode=755 pipekit /sys/fs/cgroup/unified\nmount -t overlay overlay -o lowerdir=/a:/b,upperdir=/u,workdir=/w /bundle/rootfs\n--root /run/x/crun run x\n');
  assert.is(dryRun(runtimeCommand(RT('crun', true), ['delete', '--force', 'x'])), 'mount -t tmpfs -o size=64k,mode=755 pipekit /sys/fs/cgroup/unified\n--root /run/x/crun delete --force x\n');
});

test('the wrapper shell is a busybox where one is installed, else sh', () => {
  assert.equal(wrapperShell('/bin/sh'), ['/bin/sh', 'sh']);
  assert.equal(wrapperShell('/nonexistent/busybox'), ['sh']);
  assert.equal(runtimeCommand({ ...RT('crun', true), shell: ['/bin/busybox', 'sh'] }, ['delete', 'x']).args.slice(NS.length, NS.length + 3), ['/bin/busybox', 'sh', '-c']);
});

test('with setpriv installed, the wrapper gets a parent-death signal: it dies with the build', () => {
  assert.equal(parentDeathGuard(found(['setpriv'])), ['/usr/bin/setpriv', '--pdeathsig', 'KILL']);
  assert.equal(parentDeathGuard(found([])), []);
  const guarded = { ...RT('runc', false), guard: ['/usr/bin/setpriv', '--pdeathsig', 'KILL'] };
  assert.equal(runtimeCommand(guarded, ['run', 'x']), { cmd: '/usr/bin/setpriv', args: ['--pdeathsig', 'KILL', 'unshare', ...NS, '/usr/bin/runc', '--root', '/run/x/runc', 'run', 'x'] });
  const crun = runtimeCommand({ ...RT('crun', true), guard: guarded.guard }, ['delete', 'x']);
  assert.equal(crun.args.slice(0, 3 + NS.length + 2), ['--pdeathsig', 'KILL', 'unshare', ...NS, 'sh', '-c']);
});

test('a runner makes its cgroups as crun would, joins them, says it is ready, then mounts the root and becomes crun', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pk-runner-'));
  try {
    // two fake hierarchies: a cpuset one (a new cgroup's cpus and mems are its parent's) and a devices one
    const cpuset = path.join(dir, 'cpuset');
    const devices = path.join(dir, 'devices');
    mkdirSync(cpuset);
    mkdirSync(devices);
    writeFileSync(path.join(cpuset, 'cpuset.cpus'), '0-1\n');
    writeFileSync(path.join(cpuset, 'cpuset.mems'), '0\n');
    writeFileSync(path.join(devices, 'devices.deny'), '');
    for (const tool of ['mount']) writeFileSync(path.join(dir, tool), `#!/bin/sh\necho ${tool} "$@"\n`, { mode: 0o755 });
    const c = runnerCommand(RT('crun', false), 'pk-1-abcdef', [cpuset, devices], ['c *:* m', 'c 1:3 rwm']);
    assert.is(c.cmd, 'unshare');
    const args = c.args.slice(NS.length + 1).map((a) => (a === '/usr/bin/crun' ? 'echo' : a));
    const out = execFileSync('sh', args, { env: { PATH: `${dir}:/usr/bin:/bin` }, input: '/b/bundle\nlowerdir=/a,upperdir=/u\n' }).toString();
    assert.is(out, `${RUNNER_READY}mount -t overlay overlay -o lowerdir=/a,upperdir=/u /b/bundle/rootfs\n--cgroup-manager=disabled --root /run/x/crun run --bundle /b/bundle pk-1-abcdef\n`);
    const read = (h: string, f: string) => readFileSync(path.join(h, 'pk-1-abcdef', f), 'utf8');
    assert.is(read(cpuset, 'cpuset.cpus'), '0-1\n');
    assert.is(read(cpuset, 'cpuset.mems'), '0\n');
    assert.is(read(devices, 'devices.deny'), 'a\n');
    // each rule is its own write (a plain file keeps the last)
    assert.is(read(devices, 'devices.allow'), 'c 1:3 rwm\n');
    for (const h of [cpuset, devices]) assert.is(read(h, 'cgroup.procs'), '0\n');
    // stdin closed before its step: it ends, having started nothing
    rmSync(path.join(cpuset, 'pk-1-abcdef'), { recursive: true });
    rmSync(path.join(devices, 'pk-1-abcdef'), { recursive: true });
    assert.is(execFileSync('sh', args, { env: { PATH: `${dir}:/usr/bin:/bin` }, input: '' }).toString(), RUNNER_READY);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a runner that cannot make its cgroups fails before saying it is ready', () => {
  const c = runnerCommand(RT('crun', false), 'pk-1-abcdef', ['/nonexistent/hierarchy'], []);
  const args = c.args.slice(NS.length + 1);
  let out = '';
  try {
    out = execFileSync('sh', args, { input: '/b\nx\n', stdio: ['pipe', 'pipe', 'ignore'] }).toString();
    assert.unreachable('it exited 0');
  } catch (err) {
    assert.is((err as { status: number }).status, 1);
    out = String((err as { stdout: Buffer }).stdout);
  }
  assert.is(out, '');
  assert.throws(() => runnerCommand(RT('runc', false), 'x', [], []), /runners start crun/);
});

test.run();
