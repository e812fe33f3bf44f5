import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSpec, DEFAULT_PATH, hostsFile, withDefaultPath, type OciMount, type SpecInput } from './spec.ts';

const BASE: SpecInput = {
  args: ['/bin/sh', '-c', 'echo hi'],
  env: ['PATH=/usr/bin:/bin', 'HOME=/root'],
  cwd: '/work',
  ids: { uid: 1000, gid: 1001, additionalGids: [27, 999], home: '/home/u' },
  rootPath: '/var/lib/cas-store/tmp/root-abc',
  hostname: 'buildkitsandbox',
  network: 'sandbox',
  insecure: false,
  extraMounts: [],
};

type Spec = {
  ociVersion: string;
  process: {
    terminal: boolean; user: { uid: number; gid: number; additionalGids: number[] }; args: string[]; env: string[]; cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] }; noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: { namespaces: { type: string }[]; resources: { devices: unknown[] }; maskedPaths: string[]; readonlyPaths: string[]; seccomp?: { defaultAction: string; syscalls: { names: string[] }[] } };
};
const spec = (over: Partial<SpecInput> = {}) => buildSpec({ ...BASE, ...over }) as unknown as Spec;

test('DEFAULT_PATH is the BuildKit default', () => {
  assert.is(DEFAULT_PATH, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
});

// [env in, env out]
const PATHS: [string[], string[]][] = [
  [[], [`PATH=${DEFAULT_PATH}`]],
  [['A=1'], [`PATH=${DEFAULT_PATH}`, 'A=1']],
  [['A=1', 'B=2'], [`PATH=${DEFAULT_PATH}`, 'A=1', 'B=2']],
  [['PATH=/x'], ['PATH=/x']],
  [['A=1', 'PATH='], ['A=1', 'PATH=']],
  [['A=PATH=/x'], [`PATH=${DEFAULT_PATH}`, 'A=PATH=/x']],
  [['path=/x'], [`PATH=${DEFAULT_PATH}`, 'path=/x']],
  [['MYPATH=/x'], [`PATH=${DEFAULT_PATH}`, 'MYPATH=/x']],
  [['PATH'], [`PATH=${DEFAULT_PATH}`, 'PATH']],
];
for (const [env, want] of PATHS) {
  test(`withDefaultPath(${JSON.stringify(env)})`, () => {
    const before = [...env];
    assert.equal(withDefaultPath(env), want);
    assert.equal(env, before, 'input not changed');
  });
}

test('process: args, env, cwd and user are passed through', () => {
  const s = spec();
  assert.is(s.ociVersion, '1.0.2');
  assert.equal(s.process.args, BASE.args);
  assert.equal(s.process.env, BASE.env);
  assert.is(s.process.cwd, '/work');
  assert.equal(s.process.user, { uid: 1000, gid: 1001, additionalGids: [27, 999] });
  assert.is(s.process.terminal, false);
  assert.is(s.process.noNewPrivileges, false);
  assert.equal(s.root, { path: BASE.rootPath, readonly: false });
  assert.is(s.hostname, 'buildkitsandbox');
  assert.is(spec({ hostname: 'custom' }).hostname, 'custom');
});

// [network, has a network namespace]
const NETWORKS: [SpecInput['network'], boolean][] = [['none', true], ['sandbox', false], ['host', false]];
for (const [network, netns] of NETWORKS) {
  test(`network ${network}: ${netns ? 'own' : 'host'} network namespace`, () => {
    const types = spec({ network }).linux.namespaces.map((n) => n.type);
    assert.equal(types.filter((t) => t !== 'network'), ['pid', 'ipc', 'uts', 'mount']);
    assert.is(types.includes('network'), netns);
    assert.is(types.filter((t) => t === 'network').length, netns ? 1 : 0);
  });
}

test('namespaces are not shared between specs', () => {
  const a = spec({ network: 'none' });
  const b = spec({ network: 'sandbox' });
  assert.is(a.linux.namespaces.length, 5);
  assert.is(b.linux.namespaces.length, 4);
});

const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

test('sandbox security: default capabilities, masked and read-only paths, read-only /sys', () => {
  const s = spec();
  for (const set of ['bounding', 'effective', 'permitted'] as const) assert.equal(s.process.capabilities[set], DEFAULT_CAPS, set);
  for (const c of ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_SYS_PTRACE', 'CAP_SYS_MODULE']) assert.not.ok(s.process.capabilities.bounding.includes(c));
  assert.ok(s.linux.maskedPaths.includes('/proc/kcore'));
  assert.ok(s.linux.maskedPaths.includes('/sys/firmware'));
  assert.is(s.linux.maskedPaths.length, 10);
  assert.equal(s.linux.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  const sys = s.mounts.find((m) => m.destination === '/sys')!;
  assert.ok(sys.options.includes('ro'));
  assert.not.ok(sys.options.includes('rw'));
  const cg = s.mounts.find((m) => m.destination === '/sys/fs/cgroup')!;
  assert.equal([cg.type, cg.options], ['cgroup', ['ro', 'nosuid', 'noexec', 'nodev']]);
});

test('the default seccomp profile, for the default capabilities, unless insecure', () => {
  for (const over of [{}, { rootless: true }, { network: 'none' as const }]) {
    const sc = spec(over).linux.seccomp;
    assert.is(sc?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.ok(sc?.syscalls.some((r) => r.names.includes('chroot')), 'chroot, as CAP_SYS_CHROOT is in the set');
    assert.not.ok(sc?.syscalls.some((r) => r.names.includes('mount')), 'no mount without CAP_SYS_ADMIN');
  }
});

test('insecure: extra capabilities, nothing masked, writable /sys', () => {
  const s = spec({ insecure: true });
  const want = [...DEFAULT_CAPS, 'CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_SYS_PTRACE', 'CAP_SYS_MODULE'];
  for (const set of ['bounding', 'effective', 'permitted'] as const) assert.equal(s.process.capabilities[set], want, set);
  assert.equal(s.linux.maskedPaths, []);
  assert.equal(s.linux.readonlyPaths, []);
  const sys = s.mounts.find((m) => m.destination === '/sys')!;
  assert.ok(sys.options.includes('rw'));
  assert.ok(s.mounts.find((m) => m.destination === '/sys/fs/cgroup')!.options.includes('rw'), 'a writable cgroupfs');
  assert.is(s.linux.seccomp, undefined, 'no seccomp filter');
  // and the default spec was not changed by building an insecure one
  assert.equal(spec().process.capabilities.bounding, DEFAULT_CAPS);
});

test('standard mounts come first, extra mounts after, in order', () => {
  const extra: OciMount[] = [
    { destination: '/', type: 'bind', source: '/rootfs', options: ['rbind'] },
    { destination: '/etc/hosts', type: 'bind', source: '/tmp/hosts', options: ['rbind', 'ro'] },
    { destination: '/run/secrets/tok', type: 'bind', source: '/tmp/tok', options: ['rbind', 'ro'] },
  ];
  const s = spec({ extraMounts: extra });
  assert.equal(s.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup', '/', '/etc/hosts', '/run/secrets/tok']);
  assert.equal(s.mounts.slice(7), extra);
  const byDest = Object.fromEntries(s.mounts.map((m) => [m.destination, m]));
  assert.is(byDest['/proc'].type, 'proc');
  assert.is(byDest['/dev'].type, 'tmpfs');
  assert.is(byDest['/dev/pts'].type, 'devpts');
  assert.ok(byDest['/dev/pts'].options.includes('newinstance'));
  assert.is(byDest['/dev/shm'].source, 'shm');
  assert.ok(byDest['/dev/shm'].options.includes('mode=1777'));
  assert.is(byDest['/dev/mqueue'].type, 'mqueue');
  assert.is(spec().mounts.length, 7);
  assert.not.ok(spec({ rootless: true }).mounts.some((m) => m.destination === '/sys/fs/cgroup'), 'no cgroup mount in a user namespace');
});

test('devices are denied by default', () => {
  assert.equal(spec().linux.resources.devices, [{ allow: false, access: 'rwm' }]);
});

test('the spec is plain JSON', () => {
  for (const over of [{}, { network: 'none' as const, insecure: true }]) {
    const s = buildSpec({ ...BASE, ...over });
    assert.equal(JSON.parse(JSON.stringify(s)), s);
  }
});

test('hostsFile', () => {
  const cases: [string, string][] = [
    ['buildkitsandbox', '127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n'],
    ['web', '127.0.0.1\tlocalhost web\n::1\tlocalhost ip6-localhost ip6-loopback\n'],
  ];
  for (const [h, want] of cases) assert.is(hostsFile(h), want);
});

test.run();
