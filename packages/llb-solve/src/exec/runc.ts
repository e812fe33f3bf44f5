// Runs one container with runc and streams its output. runc's state lives
// under /run so it is gone after a reboot, like the processes it describes.
import { randomBytes } from 'node:crypto';
import { promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BuildError, PipekitError, runCommand, runcRoot } from '@pipekit/wire';

export const RUNC_ROOT = runcRoot();
let rootMade: Promise<void> | undefined;

export type RunResult = { exitCode: number };

export async function runContainer(
  bundle: string,
  spec: Record<string, unknown>,
  onOutput: (stream: 1 | 2, data: Uint8Array) => void,
  signal: AbortSignal,
): Promise<RunResult> {
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
  rootMade ??= fs.mkdir(RUNC_ROOT, { recursive: true }).then(() => undefined);
  await rootMade;
  const id = `pk-${randomBytes(6).toString('hex')}`;
  const onAbort = () => {
    runCommand('runc', ['--root', RUNC_ROOT, 'kill', id, 'KILL']).catch(() => undefined);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await runCommand('runc', ['--root', RUNC_ROOT, 'run', '--bundle', bundle, id], {
      onStdout: (d) => onOutput(1, d),
      onStderr: (d) => onOutput(2, d),
    });
    if (res.error) throw new PipekitError(`cannot run runc: ${res.error.message} (is runc installed?)`);
    if (signal.aborted) throw new BuildError('canceled');
    return { exitCode: res.code };
  } finally {
    signal.removeEventListener('abort', onAbort);
    // `runc run` deletes its container when the process exits; only a killed
    // or failed start can leave one behind
    if (signal.aborted || (await fs.access(path.join(RUNC_ROOT, id)).then(() => true, () => false))) {
      await runCommand('runc', ['--root', RUNC_ROOT, 'delete', '--force', id]);
    }
  }
}
