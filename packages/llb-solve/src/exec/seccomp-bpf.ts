// A RUN step's seccomp filter, compiled once per boot instead of at every
// container start. Compiling the profile is most of what seccomp costs a step:
// ~17 ms of CPU when runc does it, ~8 ms when crun does. crun accepts a compiled
// filter (the run.oci.seccomp_bpf_data annotation), so crun itself compiles it:
// `crun create` of a container that never starts writes the filter it would
// load into its state dir. That file is kept under the runtime dir (/run, gone
// at reboot), named for the profile, crun's binary and the kernel.
// Any failure here only costs speed: the step's spec keeps its profile, and
// crun compiles it as usual.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { runRuntime, runtimeDir, type OciRuntime } from '@pipekit/wire';
import { pidAlive } from '@pipekit/cas-store';
import type { SeccompProfile } from './seccomp.ts';

export const BPF_ANNOTATION = 'run.oci.seccomp_bpf_data';

const memo = new Map<string, Promise<string | undefined>>();

function cacheKey(rt: OciRuntime, profile: SeccompProfile): string {
  const st = statSync(rt.bin, { throwIfNoEntry: false });
  const h = createHash('sha256');
  h.update(JSON.stringify({ profile, bin: rt.bin, size: st?.size, mtime: st?.mtimeMs, ino: st?.ino, kernel: os.release(), version: os.version() }));
  return h.digest('hex');
}

/** The compiled filter for `profile`, base64 as the annotation wants it; undefined when it cannot be had. */
export function compiledSeccomp(rt: OciRuntime, profile: SeccompProfile): Promise<string | undefined> {
  if (rt.name !== 'crun') return Promise.resolve(undefined);
  const key = cacheKey(rt, profile);
  let p = memo.get(key);
  if (!p) {
    p = loadOrCompile(rt, profile, key);
    memo.set(key, p);
  }
  return p;
}

async function loadOrCompile(rt: OciRuntime, profile: SeccompProfile, key: string): Promise<string | undefined> {
  const dir = path.join(runtimeDir(), 'seccomp');
  const file = path.join(dir, `${key}.bpf`);
  try {
    return readFileSync(file).toString('base64');
  } catch {
    // not compiled yet this boot
  }
  const bpf = await compileWithCrun(rt, profile, dir);
  if (!bpf) return undefined;
  // temp then rename: a concurrent build reads a whole filter or none
  const tmp = path.join(dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    await fs.writeFile(tmp, bpf);
    await fs.rename(tmp, file);
  } catch {
    // not kept: the next process compiles it again
    await fs.rm(tmp, { force: true });
  }
  return bpf.toString('base64');
}

async function compileWithCrun(rt: OciRuntime, profile: SeccompProfile, dir: string): Promise<Buffer | undefined> {
  // the created container does not outlive `create`: it is in the pid
  // namespace of crun's wrapper (see runtimeCommand), which ends with crun
  const run = (args: string[]) => runRuntime(rt, args);
  await removeStale(dir, rt.root, run);
  // the pid in both names lets a later compile remove what a killed one left
  const name = `pk-seccomp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const bundle = path.join(dir, name);
  try {
    await fs.mkdir(path.join(bundle, 'rootfs', 'dev'), { recursive: true });
    // crun checks that the process exists when it creates the container
    await fs.writeFile(path.join(bundle, 'rootfs', 'never-run'), '', { mode: 0o755 });
    await fs.mkdir(rt.root, { recursive: true });
    const spec = {
      ociVersion: '1.0.2',
      process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['/never-run'], cwd: '/' },
      root: { path: 'rootfs' },
      mounts: [{ destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] }],
      linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }], seccomp: profile },
    };
    await fs.writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec));
    const made = await run(['create', '--bundle', bundle, name]);
    if (made.code !== 0) return undefined;
    try {
      const bpf = await fs.readFile(path.join(rt.root, name, 'seccomp.bpf'));
      // a filter is whole 8-byte instructions
      return bpf.length > 0 && bpf.length % 8 === 0 ? bpf : undefined;
    } catch {
      return undefined;
    } finally {
      await run(['delete', '--force', name]);
    }
  } catch {
    return undefined;
  } finally {
    await fs.rm(bundle, { recursive: true, force: true });
  }
}

/** Containers and bundles of compiles whose process is gone (killed between create and delete). */
async function removeStale(dir: string, root: string, run: (args: string[]) => Promise<unknown>): Promise<void> {
  const stale = (n: string) => {
    const m = /^pk-seccomp-(\d+)-/.exec(n);
    return m !== null && !pidAlive(Number(m[1]));
  };
  for (const n of (await fs.readdir(root).catch(() => [] as string[])).filter(stale)) await run(['delete', '--force', n]);
  for (const n of (await fs.readdir(dir).catch(() => [] as string[])).filter(stale)) await fs.rm(path.join(dir, n), { recursive: true, force: true });
}
