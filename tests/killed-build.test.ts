// Black-box: a build killed with SIGKILL leaves no container running, under
// either OCI runtime. crun puts a container's process in a session of its own,
// so a kill of the build's process group reaches it only through the pid
// namespace crun's wrapper gives it; a kill of llb-solve alone reaches it
// through the wrapper's parent-death signal (setpriv). The runtime's state,
// cgroup and the step's snapshot are left for the janitor (`cas-store fsck`).
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ociRuntimeNamed, runRuntime, runtimeDir, type OciRuntimeName } from '@pipekit/wire';
import { sh, tempDir } from './helpers/cli.ts';
import { busyboxContext } from './helpers/busybox-context.ts';

/** Pids of processes whose command line contains `text`. */
async function processesWith(text: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmd = await fs.readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    const stat = await fs.readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // a zombie has stopped running
    if (cmd.split('\0').join(' ').includes(text) && !/\) Z /.test(stat)) out.push(Number(name));
  }
  return out;
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const v = await f();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The pid of the llb-solve that runs a container whose step prints `marker`: its bundle is named for it. */
async function ownerOf(marker: string): Promise<number> {
  return waitFor(`a container running ${marker}`, async () => {
    if ((await processesWith(marker)).length === 0) return undefined;
    const bundles = path.join(runtimeDir(), 'bundles');
    for (const pid of await processesWith(`--bundle ${bundles}/b-`)) {
      const cmd = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
      const bundle = cmd[cmd.indexOf('--bundle') + 1];
      const owner = Number(/\/b-(\d+)-/.exec(bundle)?.[1]);
      // the step's own container, not one of a concurrent test's
      const spec = await fs.readFile(path.join(bundle, 'config.json'), 'utf8').catch(() => '');
      if (spec.includes(marker)) return owner;
    }
    return undefined;
  });
}

/** Containers of `runtime` whose bundle belongs to process `pid`. */
async function containersOf(runtime: OciRuntimeName, pid: number): Promise<string[]> {
  const res = await runRuntime(ociRuntimeNamed(runtime), ['list', '--format', 'json']);
  const list = JSON.parse(res.stdout || '[]') as { id: string; bundle: string }[] | null;
  return (list ?? []).filter((c) => path.basename(c.bundle).startsWith(`b-${pid}-`)).map((c) => c.id);
}

/** Cgroups of containers of process `pid` (ids carry it), at the top of any hierarchy. */
async function cgroupsOf(pid: number): Promise<string[]> {
  const top = '/sys/fs/cgroup';
  const out: string[] = [];
  for (const dir of [top, ...(await fs.readdir(top)).map((h) => path.join(top, h))]) {
    for (const n of await fs.readdir(dir).catch(() => [] as string[])) if (n.startsWith(`pk-${pid}-`)) out.push(path.join(dir, n));
  }
  return out;
}

for (const runtime of ['crun', 'runc'] as const) {
  for (const how of ['group', 'alone'] as const) {
    test(`${runtime}: llb-solve killed ${how === 'group' ? 'with its process group' : 'alone'} leaves no container running`, async () => {
      const store = await tempDir('store');
      // a unique sleep: the container's process is found by its command line
      const marker = `sleep 600.${String(Math.random()).slice(2, 10)}`;
      const ctx = await busyboxContext(`RUN ${marker}`);
      const env = { PIPEKIT_OCI_RUNTIME: runtime };
      const g = await sh(`df-parse Dockerfile --store ${store} > graph.ndjson`, { cwd: ctx });
      assert.is(g.code, 0, g.stderr);
      const build = sh(`exec setsid llb-solve --store ${store} --progress plain graph.ndjson >/dev/null 2>progress.log`, { cwd: ctx, env });
      const owner = await ownerOf(marker);
      if (how === 'group') {
        // under Deno, llb-solve is a child of `deno task`, which setsid made the group's leader
        const stat = await fs.readFile(`/proc/${owner}/stat`, 'utf8');
        const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
        process.kill(-pgid, 'SIGKILL');
        await build;
        // the kernel ends the namespace's processes as its init exits
        await waitFor('the container to stop', async () => ((await processesWith(marker)).length === 0 ? true : undefined), 5_000)
          .catch(() => assert.unreachable(`${marker} still runs after the build's process group was killed`));
      } else {
        process.kill(owner, 'SIGKILL');
        await build;
        // the wrapper dies with llb-solve, the runtime with the wrapper, the container with its pid namespace's init
        await waitFor('the container to stop', async () => ((await processesWith(marker)).length === 0 ? true : undefined), 5_000)
          .catch(() => assert.unreachable(`${marker} still runs after llb-solve alone was killed`));
        const fsck = await sh(`cas-store fsck --store ${store}`, { env });
        assert.is(fsck.code, 0, `${fsck.stdout}${fsck.stderr}`);
      }
      const fsck = await sh(`cas-store fsck --store ${store}`);
      assert.is(fsck.code, 0, `${fsck.stdout}${fsck.stderr}`);
      assert.equal(await fs.readdir(path.join(store, 'snapshots', 'tmp')), []);
      assert.equal(await containersOf(runtime, owner), [], 'no runtime state left');
      assert.equal(await cgroupsOf(owner), [], 'no cgroup left');
      const mounts = await fs.readFile('/proc/self/mountinfo', 'utf8');
      assert.not.ok(mounts.includes(store), 'nothing mounted under the store');
    });
  }
}

test("a dead build's cgroups that no bundle names (a runner's) are removed by a later build", async () => {
  // as a build killed between starting a runner and its first step leaves them: empty, named for its pid
  const dead = 4_194_000;
  assert.throws(() => process.kill(dead, 0), 'the pid is not in use');
  // its own name: the Node and Deno runs of this file go at once
  const id = `pk-${dead}-${randomBytes(6).toString('hex')}`;
  const hierarchies = (await fs.readdir('/sys/fs/cgroup')).map((h) => path.join('/sys/fs/cgroup', h)).filter((h) => existsSync(path.join(h, 'cgroup.procs')));
  if (hierarchies.length === 0) return;
  const made: string[] = [];
  for (const h of hierarchies) {
    if (await fs.mkdir(path.join(h, id)).then(() => true, () => false)) made.push(path.join(h, id));
  }
  try {
    assert.ok(made.length > 0);
    const store = await tempDir('store');
    // the sweep runs a while into the build
    const ctx = await busyboxContext('RUN sleep 3');
    const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress plain`, { cwd: ctx });
    assert.is(r.code, 0, r.stderr);
    assert.equal(made.filter((d) => existsSync(d)), []);
  } finally {
    for (const d of made) await fs.rmdir(d).catch(() => undefined);
  }
});

test.run();
