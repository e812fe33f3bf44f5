import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { ociRuntimeNamed, runRuntime } from '@pipekit/wire';
import { defaultSeccomp } from './seccomp.ts';
import { compiledSeccomp } from './seccomp-bpf.ts';

// the compiled filters go under the runtime dir: a fresh one for this file
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pk-bpf-'));
process.env.PIPEKIT_RUNTIME_DIR = dir;
const crun = ociRuntimeNamed('crun');

/** The filter's instructions: 8 bytes each (code u16, jt u8, jf u8, k u32). */
function instructions(b64: string): { code: number; k: number }[] {
  const buf = Buffer.from(b64, 'base64');
  const out: { code: number; k: number }[] = [];
  for (let i = 0; i < buf.length; i += 8) out.push({ code: buf.readUInt16LE(i), k: buf.readUInt32LE(i + 4) });
  return out;
}

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const RET = 0x06;
const SECCOMP_RET_ERRNO_EPERM = 0x00050001;

test('crun compiles a profile once; the filter is kept under the runtime dir and used again', async () => {
  const profile = defaultSeccomp(['CAP_CHOWN', 'CAP_SYS_CHROOT']);
  const first = await compiledSeccomp(crun, profile);
  assert.ok(first, 'compiled');
  const files = (await fs.readdir(path.join(dir, 'seccomp'))).filter((f) => f.endsWith('.bpf'));
  assert.is(files.length, 1);
  assert.is(Buffer.from(first as string, 'base64').equals(await fs.readFile(path.join(dir, 'seccomp', files[0]))), true);
  // nothing else is left: no bundle, no container
  assert.equal((await fs.readdir(path.join(dir, 'seccomp'))).sort(), files);
  assert.equal(await fs.readdir(crun.root), []);
  // the same profile again: the same filter, no second file
  assert.is(await compiledSeccomp(crun, defaultSeccomp(['CAP_CHOWN', 'CAP_SYS_CHROOT'])), first);
  assert.is((await fs.readdir(path.join(dir, 'seccomp'))).length, 1);
});

test("the filter is the profile's: both architectures checked, EPERM for what is not allowed", async () => {
  const ins = instructions((await compiledSeccomp(crun, defaultSeccomp(['CAP_CHOWN']))) as string);
  const ks = new Set(ins.map((i) => i.k));
  if (process.arch === 'x64') {
    assert.ok(ks.has(AUDIT_ARCH_X86_64) && ks.has(AUDIT_ARCH_I386), 'x86_64 and i386 are checked');
  }
  assert.ok(ins.some((i) => i.code === RET && i.k === SECCOMP_RET_ERRNO_EPERM), 'a return of EPERM');
});

test('another profile is another filter', async () => {
  const a = await compiledSeccomp(crun, defaultSeccomp(['CAP_CHOWN']));
  const b = await compiledSeccomp(crun, defaultSeccomp(['CAP_CHOWN', 'CAP_SYS_ADMIN']));
  assert.ok(a && b);
  assert.is.not(a, b);
});

test('runc compiles its own filter: nothing is compiled for it', async () => {
  assert.is(await compiledSeccomp(ociRuntimeNamed('runc'), defaultSeccomp(['CAP_CHOWN'])), undefined);
});

test('a crun that cannot compile costs only speed: no filter, nothing left behind', async () => {
  const broken = { ...crun, bin: '/bin/false' };
  const before = await fs.readdir(path.join(dir, 'seccomp'));
  assert.is(await compiledSeccomp(broken, defaultSeccomp(['CAP_SYS_TIME'])), undefined);
  assert.equal(await fs.readdir(path.join(dir, 'seccomp')), before);
});

test('a compile killed between create and delete leaves nothing once the next compile runs', async () => {
  // what a killed compile leaves: a created container (its process waiting) and its bundle, named for a dead pid
  const dead = 999_999_999;
  const name = `pk-seccomp-${dead}-abcdef123456`;
  const bundle = path.join(dir, 'seccomp', name);
  await fs.mkdir(path.join(bundle, 'rootfs', 'dev'), { recursive: true });
  await fs.writeFile(path.join(bundle, 'rootfs', 'never-run'), '', { mode: 0o755 });
  await fs.writeFile(path.join(bundle, 'config.json'), JSON.stringify({
    ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, args: ['/never-run'], cwd: '/' }, root: { path: 'rootfs' },
    mounts: [{ destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: [] }], linux: { namespaces: [{ type: 'mount' }] },
  }));
  assert.is((await runRuntime(crun, ['create', '--bundle', bundle, name])).code, 0);
  assert.ok((await fs.readdir(crun.root)).includes(name));
  // a profile not compiled yet in this process, so the compile runs
  assert.ok(await compiledSeccomp(crun, defaultSeccomp(['CAP_SYS_BOOT'])));
  assert.equal(await fs.readdir(crun.root), []);
  assert.not.ok((await fs.readdir(path.join(dir, 'seccomp'))).includes(name));
});

test.after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test.run();
