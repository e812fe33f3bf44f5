import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { ociRuntimeNamed, type Graph, type OciRuntime, type OpRecord } from '@pipekit/wire';
import { RunnerPool, runnerStep, runnersSupported, Runner } from './runners.ts';
import { runContainer } from './container.ts';
import { buildSpec } from './spec.ts';

// bundles and runtime state in a runtime dir of this file's own
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pk-runners-'));
process.env.PIPEKIT_RUNTIME_DIR = dir;

const line = (point: string, type: string) => `1 1 0:1 / ${point} rw - ${type} x rw`;
const HYBRID_CGROUPS = '9:name=systemd:/\n8:pids:/\n4:memory:/a/b\n3:cpu,cpuacct:/\n0::/\n';
const HYBRID_MOUNTS = [line('/sys/fs/cgroup', 'tmpfs'), line('/sys/fs/cgroup/unified', 'cgroup2'), line('/sys/fs/cgroup/pids', 'cgroup')].join('\n');
const rt = (name: 'crun' | 'runc', hybrid: boolean): OciRuntime => ({ name, bin: `/usr/bin/${name}`, root: '/r', hybrid, shell: ['sh'], guard: [] });

test('runners start crun as root on a cgroup v1 layout, in each v1 hierarchy', () => {
  assert.equal(runnersSupported(rt('crun', true), HYBRID_CGROUPS, HYBRID_MOUNTS), [
    '/sys/fs/cgroup/systemd', '/sys/fs/cgroup/pids', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/cpu,cpuacct',
  ]);
  // pure v1: nothing to hide
  assert.ok(runnersSupported(rt('crun', false), '8:pids:/\n', line('/sys/fs/cgroup', 'tmpfs')));
  assert.is(runnersSupported(rt('runc', false), '8:pids:/\n', line('/sys/fs/cgroup', 'tmpfs')), undefined);
  // cgroup v2 only: crun manages its cgroups itself
  assert.is(runnersSupported(rt('crun', false), '0::/user.slice\n', line('/sys/fs/cgroup', 'cgroup2')), undefined);
  // a hybrid cgroup2 crun does not refuse (no controllers) is not hidden: not a layout runners know
  assert.is(runnersSupported(rt('crun', false), HYBRID_CGROUPS, HYBRID_MOUNTS), undefined);
});

const exec = (mounts: { dest: string; type: string }[], security = 'sandbox') => ({
  op: { inputs: [], exec: { meta: { args: ['true'] }, mounts, network: 'none', security } }, meta: {},
}) as unknown as OpRecord;

test('a runner starts steps whose mounts are all made inside the container', () => {
  const graph = {
    ops: new Map<string, OpRecord>([
      ['plain', exec([{ dest: '/', type: 'bind' }])],
      ['tmpfs', exec([{ dest: '/', type: 'bind' }, { dest: '/tmp', type: 'tmpfs' }])],
      ['cache', exec([{ dest: '/', type: 'bind' }, { dest: '/var/cache', type: 'cache' }])],
      ['bind', exec([{ dest: '/', type: 'bind' }, { dest: '/src', type: 'bind' }])],
      ['secret', exec([{ dest: '/', type: 'bind' }, { dest: '/run/secrets/x', type: 'secret' }])],
      ['insecure', exec([{ dest: '/', type: 'bind' }], 'insecure')],
      ['file', { op: { inputs: [], file: { actions: [] } }, meta: {} } as unknown as OpRecord],
    ]),
  } as unknown as Graph;
  assert.equal([...graph.ops.keys()].filter((d) => runnerStep(graph, d)), ['plain', 'tmpfs']);
});

const crun = ociRuntimeNamed('crun', ['/usr/bin/crun', '/usr/local/bin/crun'].find((p) => existsSync(p)));
const hierarchies = runnersSupported(crun, readFileSync('/proc/self/cgroup', 'utf8'), readFileSync('/proc/self/mountinfo', 'utf8'));
const busybox = '/bin/busybox';
// the real thing needs crun, root, a cgroup v1 layout and a static busybox
const canRun = Boolean(hierarchies && existsSync(crun.bin) && existsSync(busybox));
const real = (name: string, fn: () => Promise<void>) => test(name, async () => {
  if (canRun) await fn();
});

/** A bundle whose root is an overlay of a layer holding busybox, as a RUN step's. */
async function stepBundle(args: string[]): Promise<{ bundle: string; spec: Record<string, unknown> }> {
  const base = await fs.mkdtemp(path.join(dir, 'step-'));
  const lower = path.join(base, 'lower');
  await fs.mkdir(path.join(lower, 'bin'), { recursive: true });
  await fs.mkdir(path.join(lower, 'tmp'));
  await fs.copyFile(busybox, path.join(lower, 'bin', 'busybox'));
  for (const d of ['upper', 'work', 'bundle/rootfs']) await fs.mkdir(path.join(base, d), { recursive: true });
  const bundle = path.join(base, 'bundle');
  const spec = buildSpec({
    args, env: ['PATH=/bin'], cwd: '/', ids: { uid: 0, gid: 0, additionalGids: [], home: '/root' }, rootPath: path.join(bundle, 'rootfs'), hostname: 'buildkitsandbox',
    network: 'none', insecure: false, rootless: false, extraMounts: [],
    rootMount: { destination: '/', type: 'overlay', source: 'overlay', options: [`lowerdir=${lower}`, `upperdir=${path.join(base, 'upper')}`, `workdir=${path.join(base, 'work')}`] },
  });
  return { bundle, spec };
}

const cgroupsNamed = (id: string) => (hierarchies ?? []).filter((h) => existsSync(path.join(h, id)));

real('a step started by a runner runs in its cgroups, which deny devices but the defaults, and are removed after', async () => {
  // loop-control, which needs no capability to open: a node a step may make but not open
  const script = 'cat /proc/self/cgroup; mknod /dev/lc c 10 237 && head -c 1 /dev/lc >/dev/null; echo x > /dev/null && echo null-ok; exit 3';
  const { bundle, spec } = await stepBundle(['/bin/busybox', 'sh', '-c', script]);
  const graph = { ops: new Map(['first', 'a', 'b'].map((d) => [d, exec([{ dest: '/', type: 'bind' }])])) } as unknown as Graph;
  const pool = new RunnerPool(crun, hierarchies as string[], graph.ops.keys(), 2);
  let id = '';
  try {
    // the first step starts the usual way; its take starts runners for the others
    assert.is(pool.take('first'), undefined);
    await new Promise((r) => setTimeout(r, 300));
    const runner = pool.take('a') as Runner;
    assert.ok(runner, 'a runner was waiting');
    id = runner.id;
    assert.equal(cgroupsNamed(runner.id), hierarchies, 'its cgroups are made ahead');
    let out = '';
    const res = await runContainer(bundle, spec, (_s, d) => (out += Buffer.from(d).toString()), new AbortController().signal, { pool, runner });
    assert.is(res.exitCode, 3, out);
    for (const l of out.split('\n').filter((l) => /^\d+:[^:]+:/.test(l) && !l.startsWith('0::'))) assert.ok(l.endsWith(`:/${runner.id}`), l);
    assert.match(out, /head: \/dev\/lc: Operation not permitted/);
    assert.match(out, /null-ok/);
  } finally {
    await pool.close();
  }
  assert.equal(cgroupsNamed(id), [], 'cgroups removed');
  assert.equal(await fs.readdir(crun.root), [], 'no runtime state left');
});

real('a pool starts runners only for the exec steps to come, at most `max` waiting, and ends them on close', async () => {
  const ops = new Map(['first', 'a', 'b', 'c'].map((d) => [d, exec([{ dest: '/', type: 'bind' }])]));
  const pool = new RunnerPool(crun, hierarchies as string[], ops.keys(), 2);
  let a: Runner | undefined;
  let b: Runner | undefined;
  try {
    pool.skipped('c');
    assert.is(pool.take('first'), undefined);
    await new Promise((r) => setTimeout(r, 300));
    a = pool.take('a');
    b = pool.take('b');
    assert.ok(a && b && a.id !== b.id);
    // none left to come: none started
    assert.is(pool.take('x'), undefined);
  } finally {
    await pool.close();
  }
  for (const r of [a, b]) assert.equal(cgroupsNamed((r as Runner).id), []);
});

real('a runner that cannot make its cgroups starts nothing and leaves nothing: the step starts the usual way', async () => {
  const r = new Runner(crun, ['/nonexistent/cgroup/hierarchy']);
  const { bundle } = await stepBundle(['/bin/busybox', 'true']);
  const io = { onStdout: () => undefined, onStderr: () => undefined, signal: new AbortController().signal };
  assert.is(await r.run(bundle, ['lowerdir=/x'], io), undefined);
  await r.gone;
});

real('a miss starts one runner when a runner step takes what missed, directly or later on', async () => {
  const dep = (d: string, inputs: string[], rec = exec([{ dest: '/', type: 'bind' }])) => [d, { ...rec, op: { ...rec.op, inputs: inputs.map((digest) => ({ digest, index: 0 })) } }] as [string, OpRecord];
  const file = { op: { inputs: [], file: { actions: [] } }, meta: {} } as unknown as OpRecord;
  // src -> copy -> run1 -> run2; other (a file op) -> nothing
  const graph = { ops: new Map([dep('src', [], file), dep('copy', ['src'], file), dep('run1', ['copy']), dep('run2', ['run1']), dep('other', [], file)]) } as unknown as Graph;
  const pool = new RunnerPool(crun, hierarchies as string[], ['run1', 'run2'], 2, graph);
  try {
    pool.missed('other');
    assert.is(pool.take('nothing'), undefined, 'no runner step after it: none started');
    const pool2 = new RunnerPool(crun, hierarchies as string[], ['run1', 'run2'], 2, graph);
    try {
      pool2.missed('src');
      pool2.missed('copy');
      const r = pool2.take('run1');
      assert.ok(r, 'one started by the first miss');
      assert.is(pool2.take('run2'), undefined, 'only one');
    } finally {
      await pool2.close();
    }
  } finally {
    await pool.close();
  }
});

test.after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test.run();
