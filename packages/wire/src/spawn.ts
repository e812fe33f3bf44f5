// A lean child-process call (mount, umount, runc, cp, credential helpers):
// plain node:child_process, which Node and Deno both provide. The tools do not
// bundle execa: loading it cost every CLI's start-up more than all its uses.
import { spawn } from 'node:child_process';

export type SpawnResult = { code: number; stdout: string; stderr: string; error?: Error };

export type SpawnOptions = {
  cwd?: string;
  /** written to the child's stdin, which is then closed */
  input?: string | Uint8Array;
  /** streamed output; without onStdout, stdout is collected (up to 1 MiB) */
  onStdout?: (d: Uint8Array) => void;
  onStderr?: (d: Uint8Array) => void;
  /** on abort the child is sent SIGKILL */
  signal?: AbortSignal;
};

const LIMIT = 1024 * 1024;

/** Run `cmd`; never rejects: a failure to start is `code: -1` with `error`. */
export function runCommand(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<SpawnResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const kill = () => child.kill('SIGKILL');
    if (opts.signal?.aborted) kill();
    else opts.signal?.addEventListener('abort', kill, { once: true });
    child.on('exit', () => opts.signal?.removeEventListener('abort', kill));
    child.stdout?.on('data', (d: Buffer) => {
      if (opts.onStdout) opts.onStdout(d);
      else if (stdout.length < LIMIT) stdout += d;
    });
    child.stderr?.on('data', (d: Buffer) => {
      if (opts.onStderr) opts.onStderr(d);
      else if (stderr.length < LIMIT) stderr += d;
    });
    if (opts.input !== undefined) {
      // a child that exits without reading its input is not an error here
      child.stdin?.on('error', () => {});
      child.stdin?.end(opts.input);
    }
    child.on('error', (error) => resolve({ code: -1, stdout, stderr: error.message, error }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}
