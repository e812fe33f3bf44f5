// Where a tool keeps per-boot state (OCI runtime state, bundles, secret tmpfs mounts)
// and whether it runs in a user namespace (rootless). Root on the host uses
// /run; a rootless build uses the user's runtime dir, decided before entering
// the namespace and handed down in PIPEKIT_RUNTIME_DIR.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

let userns: boolean | undefined;

/** True inside a user namespace that is not the initial one (a rootless build). */
export function inUserNamespace(): boolean {
  if (userns === undefined) {
    try {
      const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
      userns = !(map[0] === '0' && map[1] === '0' && map[2] === '4294967295');
    } catch {
      userns = false;
    }
  }
  return userns;
}

export function runtimeDir(): string {
  if (process.env.PIPEKIT_RUNTIME_DIR) return process.env.PIPEKIT_RUNTIME_DIR;
  const uid = process.getuid?.() ?? 0;
  if (uid === 0 && !inUserNamespace()) return '/run/pipekit';
  const base = process.env.XDG_RUNTIME_DIR || `/tmp/pipekit-${uid}`;
  return path.join(base, 'pipekit');
}

/** The command that starts this same tool again (Node via its bin, Deno via deno run). */
export function selfCommand(): string[] {
  const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';
  if (isDeno) return [process.execPath, 'run', '-A', '--quiet', process.argv[1]];
  return [process.execPath, ...process.execArgv, process.argv[1]];
}
