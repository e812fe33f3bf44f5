import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultSeccomp, type SeccompProfile } from './seccomp.ts';

const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Rules naming `name`, as [action, args] pairs. */
const rulesFor = (p: SeccompProfile, name: string) => p.syscalls.filter((r) => r.names.includes(name)).map((r) => [r.action, r.errnoRet, r.args] as const);
const allowedPlain = (p: SeccompProfile, name: string) => p.syscalls.some((r) => r.names.includes(name) && r.action === 'SCMP_ACT_ALLOW' && !r.args);

test('everything not listed fails with EPERM', () => {
  const p = defaultSeccomp(DEFAULT_CAPS, 'x64');
  assert.is(p.defaultAction, 'SCMP_ACT_ERRNO');
  assert.is(p.defaultErrnoRet, 1);
});

// [syscall, allowed outright with the default capabilities]
const PLAIN: [string, boolean][] = [
  ['read', true], ['execve', true], ['openat', true], ['io_uring_setup', false], ['futex', true], ['chroot', true],
  ['arch_prctl', true], ['ptrace', true], ['mount', false], ['unshare', false], ['setns', false], ['keyctl', false],
  ['add_key', false], ['bpf', false], ['reboot', false], ['init_module', false], ['kexec_load', false], ['userfaultfd', false],
  ['open_by_handle_at', false], ['clock_settime', false], ['acct', false], ['swapon', false], ['pivot_root', false],
];
for (const [name, allowed] of PLAIN) {
  test(`${name}: ${allowed ? 'allowed' : 'refused'} with the default capabilities`, () => {
    assert.is(allowedPlain(defaultSeccomp(DEFAULT_CAPS, 'x64'), name), allowed);
  });
}

test('clone only without namespace flags, clone3 fails with ENOSYS (a libc then uses clone)', () => {
  const p = defaultSeccomp(DEFAULT_CAPS, 'x64');
  assert.equal(rulesFor(p, 'clone'), [['SCMP_ACT_ALLOW', undefined, [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]]]);
  assert.equal(rulesFor(p, 'clone3'), [['SCMP_ACT_ERRNO', 38, undefined]]);
  // s390 passes the flags second
  assert.is(rulesFor(defaultSeccomp(DEFAULT_CAPS, 's390x'), 'clone')[0][2]?.[0].index, 1);
});

test('CAP_SYS_ADMIN brings mount, unshare, setns and unrestricted clone and clone3', () => {
  const p = defaultSeccomp([...DEFAULT_CAPS, 'CAP_SYS_ADMIN'], 'x64');
  for (const name of ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3']) assert.ok(allowedPlain(p, name), name);
  assert.equal(rulesFor(p, 'clone3'), [['SCMP_ACT_ALLOW', undefined, undefined]]);
});

test('socket: every family but AF_ALG (38) and AF_VSOCK (40)', () => {
  const ops = rulesFor(defaultSeccomp(DEFAULT_CAPS, 'x64'), 'socket').map(([, , args]) => (args as { op: string; value: number }[]).map((a) => `${a.op} ${a.value}`).join());
  assert.equal(ops, ['SCMP_CMP_LT 38', 'SCMP_CMP_EQ 39', 'SCMP_CMP_GT 40']);
});

test('personality: only the usual personalities and the query', () => {
  const values = rulesFor(defaultSeccomp(DEFAULT_CAPS, 'x64'), 'personality').map(([, , args]) => (args as { value: number }[])[0].value);
  assert.equal(values, [0, 8, 0x20000, 0x20008, 0xffffffff]);
});

// [process.arch, architectures, a syscall of its own]
const ARCH: [string, string[], string | undefined][] = [
  // not x32: see seccomp.ts
  ['x64', ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], 'modify_ldt'],
  ['arm64', ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'], 'set_tls'],
  ['s390x', ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'], 's390_runtime_instr'],
  ['riscv64', ['SCMP_ARCH_RISCV64'], 'riscv_flush_icache'],
  ['loong64', [], undefined],
];
for (const [arch, arches, own] of ARCH) {
  test(`on ${arch}: ${arches.join(', ') || 'the native architecture'}`, () => {
    const p = defaultSeccomp(DEFAULT_CAPS, arch);
    assert.equal(p.architectures, arches);
    if (own) assert.ok(allowedPlain(p, own));
    // another architecture's own syscalls stay refused
    if (arch !== 'x64') assert.not.ok(allowedPlain(p, 'arch_prctl'));
  });
}

test.run();
