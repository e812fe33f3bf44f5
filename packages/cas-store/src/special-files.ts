// Device nodes and named pipes. Neither Node nor Deno can make one, so a mknod
// process does; tar headers, stats and mknod each number a device their own way.
import type { Stats } from 'node:fs';
import { runCommand } from '@pipekit/wire';

export type SpecialKind = 'character-device' | 'block-device' | 'fifo';

/** A stat's device number as tar headers and mknod split it (Linux's encoding). */
export function deviceNumbers(rdev: number): { devmajor: number; devminor: number } {
  return { devmajor: Math.floor(rdev / 256) & 0xfff, devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) };
}

/** The kind of special file `st` is, if it is one (a socket is not: it has no tar form). */
export function specialKind(st: Stats): SpecialKind | undefined {
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  if (st.isFIFO()) return 'fifo';
  return undefined;
}

/** A special file's tar header fields (its kind, and a device's numbers), if `st` is one. */
export function specialFields(st: Stats): { type: SpecialKind; devmajor?: number; devminor?: number } | undefined {
  const type = specialKind(st);
  if (!type) return undefined;
  return type === 'fifo' ? { type } : { type, ...deviceNumbers(st.rdev) };
}

/**
 * Make a device node or named pipe at `file` (mode 0666 less the umask: callers
 * set the mode). Throws an Error with mknod's own message when it cannot: only
 * root (outside a user namespace) may make device nodes.
 */
export async function makeSpecialFile(file: string, kind: SpecialKind, devmajor = 0, devminor = 0): Promise<void> {
  const args = kind === 'fifo' ? ['--', file, 'p'] : ['--', file, kind === 'character-device' ? 'c' : 'b', String(devmajor), String(devminor)];
  const res = await runCommand('mknod', args);
  if (res.error) throw new Error(`cannot run mknod: ${res.error.message}`, { cause: res.error });
  if (res.code !== 0) throw new Error(res.stderr.trim() || `mknod exited with ${res.code}`);
}
