// A lean child-process call for the hot path (mount, umount, runc): plain
// node:child_process, which Node and Deno both provide, without execa's extras.
import { spawn } from 'node:child_process';

export type SpawnResult = { code: number; stderr: string; error?: Error };

export function runCommand(
  cmd: string,
  args: string[],
  opts: { cwd?: string; onStdout?: (d: Uint8Array) => void; onStderr?: (d: Uint8Array) => void } = {},
): Promise<SpawnResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', opts.onStdout ? 'pipe' : 'ignore', 'pipe'] });
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => opts.onStdout?.(d));
    child.stderr?.on('data', (d: Buffer) => {
      if (opts.onStderr) opts.onStderr(d);
      else if (stderr.length < 65536) stderr += d;
    });
    child.on('error', (error) => resolve({ code: -1, stderr: error.message, error }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stderr }));
  });
}
