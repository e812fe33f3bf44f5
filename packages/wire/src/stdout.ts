// Data on stdout. Node makes process.stdout on first use: for a pipe, a
// net.Socket and the stream machinery behind it, ~3.5 ms of a tool's start-up
// (df-parse's output is what the rest of a pipe waits for). So while no code
// has asked for that stream, writeStdout writes whole buffers to fd 1 itself;
// once something has (a tarball to stdout, an isTTY check), everything goes
// through the stream, in order.
import { writeSync } from 'node:fs';
import process from 'node:process';
// cli.ts imports this module too: isDeno is only read once runCli runs
import { isDeno } from './cli.ts';

// direct: a hook is watching for the stream, which nobody has made yet
let direct = false;

/**
 * Call `made` with process.stdout when it is first used (at once when that
 * cannot be watched, as under Deno); until then writeStdout goes to fd 1.
 */
export function onStdoutStream(made: (s: NodeJS.WriteStream) => void): void {
  const d = Object.getOwnPropertyDescriptor(process, 'stdout');
  if (isDeno || !d?.get || !d.configurable) {
    made(process.stdout);
    return;
  }
  direct = true;
  Object.defineProperty(process, 'stdout', {
    configurable: true,
    enumerable: d.enumerable,
    get() {
      // Node's own getter keeps the stream it makes
      Object.defineProperty(process, 'stdout', d);
      direct = false;
      const s = process.stdout;
      made(s);
      return s;
    },
  });
}

/** Whether stdout has only been written through fd 1 (no stream holds data for it). */
export function stdoutDirect(): boolean {
  return direct;
}

/** Write to stdout, resolving when flushed; EPIPE (reader went away) is not an error. */
export function writeStdout(data: string | Uint8Array): Promise<void> {
  let rest = typeof data === 'string' ? Buffer.from(data) : data;
  while (direct && rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(1, rest));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(0);
      // a non-blocking descriptor that is full: the stream waits for it
      if (code !== 'EAGAIN') throw err;
      break;
    }
  }
  if (rest.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    process.stdout.write(rest, () => resolve());
  });
}
