// The floor of one RUN step: a bare start of its command by the OCI runtime
// from a plain rootfs, with the spec llb-solve writes. No builder that runs
// steps through that runtime gets under it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { runtimeCommand, type OciRuntime } from '../packages/wire/src/index.ts';
import { BPF_ANNOTATION, compiledSeccomp } from '../packages/llb-solve/src/exec/seccomp-bpf.ts';
import type { SeccompProfile } from '../packages/llb-solve/src/exec/seccomp.ts';
import { buildSpec, DEFAULT_PATH } from '../packages/llb-solve/src/exec/spec.ts';
import { median, tempDir } from './lib.ts';

/**
 * ms per bare start of one step's command in a bundle of our spec, median of
 * `n`, with `rt` started as llb-solve starts it (crun with its filter compiled
 * once): what no builder using that runtime gets under. `seccomp: false` drops
 * the step's seccomp profile, to show what it costs.
 */
export async function runtimeFloor(rt: OciRuntime, n: number, opts: { seccomp?: boolean } = {}): Promise<number> {
  const bundle = tempDir('floor');
  const rootfs = path.join(bundle, 'rootfs');
  mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  const spec = buildSpec({
    args: ['/bin/busybox', 'echo', 'step'], env: [`PATH=${DEFAULT_PATH}`], cwd: '/', ids: { uid: 0, gid: 0, additionalGids: [], home: '/root' },
    rootPath: rootfs, hostname: 'buildkitsandbox', network: 'sandbox', insecure: false, extraMounts: [],
  }) as { linux: { seccomp?: SeccompProfile }; annotations?: Record<string, string> };
  if (opts.seccomp === false) delete spec.linux.seccomp;
  const bpf = spec.linux.seccomp && (await compiledSeccomp(rt, spec.linux.seccomp));
  if (bpf) spec.annotations = { [BPF_ANNOTATION]: bpf };
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
  const state = { ...rt, root: tempDir(`${rt.name}-state`) };
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = runtimeCommand(state, ['run', '--bundle', bundle, `floor-${process.pid}-${i}`]);
    const t0 = process.hrtime.bigint();
    const r = spawnSync(c.cmd, c.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`${rt.name} run failed: ${r.stderr}`);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ms);
}
