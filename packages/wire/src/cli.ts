// What every CLI shares: where its input comes from, how errors become exit
// codes, and the runtime quirks (Deno's `deno task` runs in the deno.json folder).
import { createReadStream } from 'node:fs';
import process from 'node:process';
import { PipekitError, UsageError } from './errors.ts';

/** The workspace's version (every package.json says the same), for --version. */
export const VERSION = '0.1.0';

export const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';

/** `deno task x` runs in the folder of deno.json; the user's folder is in INIT_CWD. */
export function enterCallerDir(): void {
  const init = process.env.INIT_CWD;
  if (isDeno && init && init !== process.cwd()) process.chdir(init);
}

/** Open FILE, or stdin for undefined/'-'; refuse to wait on a terminal. */
export function openInput(file: string | undefined, what: string): AsyncIterable<Uint8Array> {
  if (file && file !== '-') return createReadStream(file);
  if (process.stdin.isTTY) {
    throw new UsageError(`refusing to read ${what} from a terminal: pipe it in, or name a file`);
  }
  return process.stdin as AsyncIterable<Uint8Array>;
}

/** Write to stdout, resolving when flushed; EPIPE (reader went away) is not an error. */
export function writeStdout(data: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    process.stdout.write(data, () => resolve());
  });
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const pretty = (err as { pretty?: () => string }).pretty;
    return typeof pretty === 'function' ? pretty.call(err) : err.message;
  }
  return String(err);
}

/** Run a CLI main: print `name: message` on failure and exit with the error's code. */
export async function runCli(name: string, main: () => Promise<number | void>): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  try {
    enterCallerDir();
    const code = await main();
    process.exitCode = code ?? 0;
  } catch (err) {
    const code = err instanceof PipekitError ? err.exitCode : 1;
    process.stderr.write(`${name}: ${errorMessage(err)}\n`);
    if (process.env.PIPEKIT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = code;
  }
}
