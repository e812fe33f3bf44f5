// Data from stdin. Node makes process.stdin on first use: for a pipe, a
// net.Socket and the stream machinery behind it, and reading a small input
// through it takes ~7 ms of a tool's start-up, against ~1 ms for plain reads of
// fd 0 on libuv's thread pool. llb-solve and export-oci wait on their input at
// the start of every build, so a pipe, file or socket is read directly.
import { fstatSync, read } from 'node:fs';
import process from 'node:process';
import { isDeno } from './cli.ts';

const CHUNK = 64 * 1024;

function readFd0(buf: Buffer): Promise<number> {
  return new Promise((resolve, reject) => read(0, buf, 0, buf.length, null, (err, n) => (err ? reject(err) : resolve(n))));
}

async function* fd0Chunks(): AsyncGenerator<Uint8Array> {
  for (;;) {
    // a fresh buffer each time: readers keep the chunks they are given
    const buf = Buffer.allocUnsafe(CHUNK);
    let n: number;
    try {
      n = await readFd0(buf);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EINTR') continue;
      // a descriptor someone made non-blocking: the stream polls it for the rest
      if (code === 'EAGAIN') {
        yield* process.stdin as AsyncIterable<Uint8Array>;
        return;
      }
      throw err;
    }
    if (n === 0) return;
    yield buf.subarray(0, n);
  }
}

/**
 * Stdin read straight from fd 0 when it is a pipe, socket or file (none of
 * them a terminal); undefined otherwise (a terminal, /dev/null, Deno), where
 * the caller uses process.stdin and its isTTY.
 */
export function stdinDirect(): AsyncIterable<Uint8Array> | undefined {
  if (isDeno) return undefined;
  let st;
  try {
    st = fstatSync(0);
  } catch {
    return undefined;
  }
  return st.isFIFO() || st.isFile() || st.isSocket() ? fd0Chunks() : undefined;
}
