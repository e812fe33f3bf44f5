// OCI bundles live under /run (tmpfs, per boot): config.json holds the step's
// environment, secret env values included, so it never touches the store's
// disk. Names carry the owner's pid; a bundle left behind by a killed llb-solve
// is removed by the next one, after stopping a container still running in it.
import { promises as fs, rmSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { runtimeDir } from '@pipekit/wire';
import { pidAlive, pidInName, removeCgroupsOf, stopContainers } from '@pipekit/cas-store';
import { hostsFile } from './spec.ts';

const ROOT = path.join(runtimeDir(), 'bundles');
// names from before pids were in them: gone once clearly abandoned
const LEGACY_AGE_MS = 60 * 60_000;
const CGROUP_SWEEP_DELAY_MS = 2000;

let ready: Promise<void> | undefined;

async function sweep(): Promise<void> {
  await fs.mkdir(ROOT, { recursive: true, mode: 0o700 });
  const stale: string[] = [];
  for (const name of await fs.readdir(ROOT).catch(() => [] as string[])) {
    const abs = path.join(ROOT, name);
    const pid = pidInName(name);
    const gone = pid !== undefined
      ? !pidAlive(pid)
      : await fs.stat(abs).then((st) => Date.now() - st.mtimeMs > LEGACY_AGE_MS, () => false);
    if (gone) stale.push(abs);
  }
  // a killed llb-solve's container may still run (its root overlay lives in the container's own namespace)
  const bundles = stale.filter((d) => path.basename(d).startsWith('b-'));
  await stopContainers({ dirs: bundles, pids: bundles.flatMap((d) => pidInName(path.basename(d)) ?? []) });
  for (const abs of stale) await fs.rm(abs, { recursive: true, force: true }).catch(() => undefined);
  // cgroups of a build killed before its first bundle (a runner's, see runners.ts) have
  // no bundle to be found by: looked for by pid, a while later, off the build's start
  setTimeout(() => void removeCgroupsOf((pid) => pid !== process.pid && !pidAlive(pid)).catch(() => undefined), CGROUP_SWEEP_DELAY_MS).unref();
}

/** A fresh bundle directory for one container. */
export async function newBundle(): Promise<string> {
  ready ??= sweep();
  await ready;
  return fs.mkdtemp(path.join(ROOT, `b-${process.pid}-`));
}

let etc: Promise<{ hosts: string; resolv: string }> | undefined;

/**
 * /etc/hosts and /etc/resolv.conf for the containers: the same for every step,
 * so written once per process and bound read-only into each.
 */
export function sharedEtc(hostname: string): Promise<{ hosts: string; resolv: string }> {
  etc ??= (async () => {
    ready ??= sweep();
    await ready;
    const dir = await fs.mkdtemp(path.join(ROOT, `etc-${process.pid}-`));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const hosts = path.join(dir, 'hosts');
    const resolv = path.join(dir, 'resolv.conf');
    await fs.writeFile(hosts, hostsFile(hostname));
    await fs.writeFile(resolv, await fs.readFile('/etc/resolv.conf').catch(() => Buffer.alloc(0)));
    return { hosts, resolv };
  })();
  return etc;
}
