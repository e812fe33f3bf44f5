// Runs one container with runc and streams its output. runc's state lives
// under /run so it is gone after a reboot, like the processes it describes.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { BuildError, PipekitError } from '@pipekit/wire';

export const RUNC_ROOT = '/run/pipekit-runc';

export type RunResult = { exitCode: number };

export async function runContainer(
  bundle: string,
  spec: Record<string, unknown>,
  onOutput: (stream: 1 | 2, data: Uint8Array) => void,
  signal: AbortSignal,
): Promise<RunResult> {
  await fs.writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec));
  await fs.mkdir(RUNC_ROOT, { recursive: true });
  const id = `pk-${randomBytes(6).toString('hex')}`;
  const child = execa('runc', ['--root', RUNC_ROOT, 'run', '--bundle', bundle, id], {
    stdin: 'ignore',
    reject: false,
    buffer: false,
  });
  const onAbort = () => {
    execa('runc', ['--root', RUNC_ROOT, 'kill', id, 'KILL'], { reject: false }).catch(() => undefined);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  child.stdout?.on('data', (d: Buffer) => onOutput(1, d));
  child.stderr?.on('data', (d: Buffer) => onOutput(2, d));
  try {
    const res = await child;
    if (res.failed && res.exitCode === undefined) {
      throw new PipekitError(`cannot run runc: ${res.shortMessage ?? 'unknown error'} (is runc installed?)`);
    }
    if (signal.aborted) throw new BuildError('canceled');
    return { exitCode: res.exitCode ?? 1 };
  } finally {
    signal.removeEventListener('abort', onAbort);
    await execa('runc', ['--root', RUNC_ROOT, 'delete', '--force', id], { reject: false });
  }
}
