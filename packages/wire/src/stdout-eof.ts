// A tool whose output is complete before its work is (llb-solve's records come
// before its store bookkeeping and GC) closes stdout then, so the next tool of
// the pipe sees end of input and starts at once instead of when this process
// exits.
import { closeSync, fstatSync, openSync } from 'node:fs';
import process from 'node:process';
import { isDeno } from './cli.ts';
import { stdoutDirect } from './stdout.ts';

/** Flush stdout and give its reader end of input; a no-op on a terminal or file, and under Deno. */
export async function closeStdout(): Promise<void> {
  if (isDeno) return;
  // written straight to fd 1 (see stdout.ts): nothing is buffered, and no stream has to be made for a terminal check
  const direct = stdoutDirect();
  if (!direct && process.stdout.isTTY) return;
  const st = fstatSync(1);
  if (st.isSocket()) {
    // a socket (Node's child_process pipes) shuts down its writing side on
    // end(), even while a process that shares it (a rootless build's parent) lives
    await new Promise<void>((resolve) => process.stdout.end(() => resolve()));
  } else if (st.isFIFO()) {
    // end() cannot close a pipe (Node keeps fd 1 open), so do what `exec
    // 1>/dev/null` does: writes already returned are in the pipe (Node writes
    // pipes synchronously on Linux and macOS), and any later ones go nowhere
    if (!direct) await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    toDevNull();
  }
}

/** fd 1 closed (its reader sees end of input) and opened again on /dev/null, where later writes go. */
function toDevNull(): void {
  closeSync(1);
  const fd = openSync('/dev/null', 'w');
  // normally the lowest free descriptor, 1, is the one handed back
  if (fd !== 1) closeSync(fd);
}
