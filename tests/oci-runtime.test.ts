// Black-box: RUN steps behave the same under crun (the default where it is
// installed) and runc (PIPEKIT_OCI_RUNTIME picks one): what a step sees, what
// it is refused, and the layer it leaves.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hybridCgroupWithControllers, ociRuntime } from '@pipekit/wire';
import { sh, tempDir } from './helpers/cli.ts';
import { busyboxContext, stepLogs } from './helpers/busybox-context.ts';

const PROBE = [
  'FROM bb',
  'USER 0:0',
  'WORKDIR /made/by/workdir',
  // seccomp on, a user namespace refused, only lo under --network=none, the root an overlay, the mounts BuildKit's
  'RUN --network=none grep Seccomp: /proc/self/status | tr -d " \\t"; unshare -U true 2>/dev/null && echo userns-made || echo userns-refused;'
    + ' cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d " "; grep " / / " /proc/self/mountinfo | cut -d" " -f9;'
    + ' cut -d" " -f5 /proc/self/mountinfo | grep -E "^/(proc|dev|sys|etc/hosts|etc/resolv.conf|tmp/t|srv/ctx)$" | sort -u; id; pwd',
  // writes, a removal from a lower layer, mount points that must not stay in the layer
  'RUN --mount=type=tmpfs,target=/tmp/t --mount=type=bind,target=/srv/ctx echo made > /new.txt && rm /bin/yes && chmod 700 /made && ln -s new.txt /link',
  'RUN --security=insecure grep Seccomp: /proc/self/status | tr -d " \\t"',
].join('\n');

type Built = { logs: string; layers: string[][]; code: number; err: string };

async function buildWith(runtime: string): Promise<Built> {
  const store = await tempDir(`store-${runtime}`);
  const ctx = await busyboxContext(PROBE, { 'ctx.txt': 'context\n' });
  const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress rawjson --allow security.insecure`, {
    cwd: ctx, env: { PIPEKIT_OCI_RUNTIME: runtime },
  });
  if (r.code !== 0) return { logs: '', layers: [], code: r.code, err: r.stderr };
  const img = JSON.parse(r.stdout.toString().trim().split('\n').pop() as string) as { store: string; layers: { blob: { digest: string } }[] };
  const layers: string[][] = [];
  for (const l of img.layers) {
    // modes, owners and names (a symlink's target); not times
    const list = await sh(`tar -tvf ${img.store}/blobs/sha256/${l.blob.digest.slice(7)} | awk '{print $1, $2, $NF}'`);
    layers.push(list.stdout.toString().split('\n').filter(Boolean));
  }
  return { logs: stepLogs(r.stderr), layers, code: r.code, err: r.stderr };
}

test('crun is the default runtime where it is installed', async () => {
  const which = await sh('command -v crun');
  assert.is(ociRuntime().name, which.code === 0 ? 'crun' : 'runc');
});

test('a RUN step under crun sees, is refused and leaves what it does under runc', async () => {
  const crun = await buildWith('crun');
  const runc = await buildWith('runc');
  assert.is(crun.code, 0, crun.err);
  assert.is(runc.code, 0, runc.err);
  assert.equal(crun.logs.split('\n'), [
    'Seccomp:2', 'userns-refused', 'lo', 'overlay', '/dev', '/etc/hosts', '/etc/resolv.conf', '/proc', '/sys',
    'uid=0(root) gid=0(root)', '/made/by/workdir', 'Seccomp:0', '',
  ]);
  assert.equal(crun.logs, runc.logs);
  assert.equal(crun.layers, runc.layers);
  // the second RUN's layer: its files, the whiteout and the mode change; no mount point stubs (tmp/t, srv/ctx)
  assert.equal(crun.layers[crun.layers.length - 2], [
    'drwxr-xr-x 0/0 bin/', '---------- 0/0 bin/.wh.yes', 'lrwxrwxrwx 0/0 new.txt', 'drwx------ 0/0 made/', '-rw-r--r-- 0/0 new.txt',
  ]);
});

test('an unknown PIPEKIT_OCI_RUNTIME fails the step with a clear error', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext('FROM bb\nRUN true');
  const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress plain`, { cwd: ctx, env: { PIPEKIT_OCI_RUNTIME: 'kata' } });
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /PIPEKIT_OCI_RUNTIME=kata: expected crun, runc or auto/);
  assert.equal(await fs.readdir(path.join(store, 'snapshots', 'tmp')).catch(() => []), []);
});

test('a forced runtime that is not installed fails the step saying so', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext('FROM bb\nRUN true');
  // every command of /usr/bin and /usr/sbin but the two runtimes
  const bin = await tempDir('bin');
  for (const dir of ['/usr/bin', '/usr/sbin']) {
    for (const name of await fs.readdir(dir)) {
      if (name === 'crun' || name === 'runc') continue;
      await fs.symlink(path.join(dir, name), path.join(bin, name)).catch(() => undefined);
    }
  }
  const system = /^\/(usr\/)?s?bin$/;
  for (const runtime of ['crun', 'runc']) {
    const r = await sh(`PATH=$(echo "$PATH" | tr : '\\n' | grep -v -E '${system.source}' | paste -sd:):${bin}; df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress plain`, { cwd: ctx, env: { PIPEKIT_OCI_RUNTIME: runtime } });
    assert.is.not(r.code, 0);
    assert.match(r.stderr, `cannot run ${runtime}: not found on PATH (is ${runtime} installed?)`);
    assert.equal(await fs.readdir(path.join(store, 'snapshots', 'tmp')).catch(() => []), []);
  }
});

// crun makes a directory for each container in the cgroup2 mount the wrapper
// hid from it: on the host's /sys/fs/cgroup tmpfs it would pile up, unseen
const hiddenUnified = async () => {
  const r = await sh('unshare --mount --propagation private sh -c "umount /sys/fs/cgroup/unified && ls -a /sys/fs/cgroup/unified"');
  assert.is(r.code, 0, r.stderr);
  return r.stdout.toString().split('\n').filter((n) => /^pk-/.test(n));
};

test('on a hybrid cgroup layout, crun steps leave nothing under the hidden cgroup2 mount', async () => {
  if (!hybridCgroupWithControllers() || (await sh('command -v crun')).code !== 0) return;
  const before = new Set(await hiddenUnified());
  const store = await tempDir('store');
  const ctx = await busyboxContext('FROM bb\nRUN echo one > /one\nRUN echo two > /two');
  const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress plain`, { cwd: ctx, env: { PIPEKIT_OCI_RUNTIME: 'crun' } });
  assert.is(r.code, 0, r.stderr);
  assert.equal((await hiddenUnified()).filter((n) => !before.has(n)), []);
});

test('a step may make a device node but not open it, only the default devices, under either runtime', async () => {
  // loop-control: opening it needs no capability, so only the device cgroup refuses it (EPERM; else it opens, or ENXIO
  // without the driver). The second step starts through a runner where crun uses them (see exec/runners.ts)
  const probe = (n: string) => `RUN mknod /dev/${n} c 10 237 && { head -c 1 /dev/${n} 2>&1 >/dev/null | grep -q "Operation not permitted" && echo ${n}-refused || echo ${n}-opened; }; echo x > /dev/null && echo ${n}-null-ok`;
  for (const runtime of ['crun', 'runc']) {
    const store = await tempDir(`store-${runtime}`);
    const ctx = await busyboxContext(['FROM bb', probe('one'), probe('two')].join('\n'));
    const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress rawjson`, { cwd: ctx, env: { PIPEKIT_OCI_RUNTIME: runtime } });
    assert.is(r.code, 0, r.stderr);
    const logs = stepLogs(r.stderr).split('\n');
    for (const want of ['one-refused', 'one-null-ok', 'two-refused', 'two-null-ok']) assert.ok(logs.includes(want), `${runtime}: ${want} in ${logs.join(' | ')}`);
  }
});

test.run();
