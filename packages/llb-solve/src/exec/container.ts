// Runs one container with the OCI runtime (crun or runc, see wire's
// oci-runtime.ts) and streams its output. The runtime's state lives under /run
// so it is gone after a reboot, like the processes it describes.
import { randomBytes } from 'node:crypto';
import { promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { BuildError, ociRuntime, PipekitError, runRuntime, type SpawnResult } from '@pipekit/wire';
import { warmCgroupMove } from './cgroup-warm.ts';
import type { Runner, RunnerPool } from './runners.ts';
import { BPF_ANNOTATION, compiledSeccomp } from './seccomp-bpf.ts';
import type { SeccompProfile } from './seccomp.ts';
import type { OciMount } from './spec.ts';

let rootMade: Promise<void> | undefined;

export type RunResult = { exitCode: number };

export async function runContainer(
  bundle: string,
  spec: Record<string, unknown>,
  onOutput: (stream: 1 | 2, data: Uint8Array) => void,
  signal: AbortSignal,
  runners?: { pool: RunnerPool; runner?: Runner },
): Promise<RunResult> {
  const rt = ociRuntime();
  // found on PATH, the binary is a path (a missing one would only show as the wrapper's exit 127)
  if (!rt.bin.includes('/')) throw new PipekitError(`cannot run ${rt.name}: not found on PATH (is ${rt.name} installed?)`);
  let final = spec;
  // a root overlay (the first mount, at /) is mounted by the wrapper for crun
  const mounts = spec.mounts as OciMount[];
  const rootMount = rt.name === 'crun' && mounts[0]?.destination === '/' ? mounts[0] : undefined;
  if (rootMount) final = { ...final, mounts: mounts.slice(1) };
  const profile = (spec.linux as { seccomp?: SeccompProfile } | undefined)?.seccomp;
  const bpf = profile && (await compiledSeccomp(rt, profile));
  if (bpf) final = { ...final, annotations: { ...(spec.annotations as object | undefined), [BPF_ANNOTATION]: bpf } };
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(final));
  const root = rootMount && { options: rootMount.options, target: (spec.root as { path: string }).path };
  rootMade ??= fs.mkdir(rt.root, { recursive: true }).then(() => undefined);
  await rootMade;
  const io = { onStdout: (d: Uint8Array) => onOutput(1, d), onStderr: (d: Uint8Array) => onOutput(2, d), signal };
  let id = runners?.runner?.id;
  try {
    let res: SpawnResult | undefined;
    if (runners?.runner) {
      // a root mounted elsewhere (on the host) is not in the runner's mount namespace
      res = root ? await runners.runner.run(bundle, root.options, io) : await runners.runner.discard();
      if (root && !res) runners.pool.disable();
    }
    if (!res) {
      // the pid lets a janitor tell a killed build's state and cgroup from a live one's
      id = `pk-${process.pid}-${randomBytes(6).toString('hex')}`;
      // the runtime's move of the container into its cgroups waits less (see cgroup-warm.ts)
      warmCgroupMove();
      // the runtime is the init of its wrapper's pid namespace (see runtimeCommand):
      // killing the wrapper ends it and, with it, every process of the container
      res = await runRuntime(rt, ['run', '--bundle', bundle, id], io, root);
    }
    if (res.error) throw new PipekitError(`cannot run ${rt.name}: ${res.error.message}`);
    if (signal.aborted) throw new BuildError('canceled');
    return { exitCode: res.code };
  } finally {
    // `run` deletes its container when the process exits; only a killed or
    // failed start can leave one behind
    if (id && (signal.aborted || (await fs.access(path.join(rt.root, id)).then(() => true, () => false)))) {
      await runRuntime(rt, ['delete', '--force', id]);
    }
  }
}
