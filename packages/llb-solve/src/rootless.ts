// Rootless builds: a non-root user (or --rootless) runs llb-solve again inside
// a user and mount namespace where it is root, with the user's subordinate
// uid/gid ranges mapped (unshare + newuidmap/newgidmap), so overlayfs mounts,
// chown and runc work and files keep their in-image owners.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import process from 'node:process';
import { spawn } from 'node:child_process';
import { inUserNamespace, runtimeDir, selfCommand, UsageError } from '@pipekit/wire';
import { resolveStoreDir } from '@pipekit/cas-store';

export type SubRange = { start: number; count: number };

/** The first /etc/subuid-style range for this user (by name or uid). */
export function subRange(file: string, user: string, uid: number, text?: string): SubRange | undefined {
  let data = text;
  if (data === undefined) {
    try {
      data = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  }
  for (const line of data.split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if ((who === user || who === String(uid)) && /^\d+$/.test(start ?? '') && /^\d+$/.test(count ?? '')) {
      return { start: Number(start), count: Number(count) };
    }
  }
  return undefined;
}

export function needsRootless(flag: boolean | undefined): boolean {
  if (inUserNamespace()) return false;
  return flag === true || process.getuid?.() !== 0;
}

/** Run this llb-solve again inside the user namespace; resolves to its exit code. */
export function reexecRootless(storeFlag: string | undefined): Promise<number> {
  const uid = process.getuid?.() ?? 0;
  const user = os.userInfo().username;
  const subuid = subRange('/etc/subuid', user, uid);
  const subgid = subRange('/etc/subgid', user, uid);
  if (!subuid || !subgid) {
    const missing = [!subuid && '/etc/subuid', !subgid && '/etc/subgid'].filter(Boolean);
    throw new UsageError(
      `rootless builds need subordinate ids for user ${user}, and ${missing.join(' and ')} ${missing.length > 1 ? 'have' : 'has'} no range for it: as root, run ` +
        `"usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user}" (and install Debian's uidmap for newuidmap/newgidmap)`,
    );
  }
  const args = [
    '--user', '--map-root-user',
    `--map-users=${subuid.start},1,${subuid.count}`,
    `--map-groups=${subgid.start},1,${subgid.count}`,
    '--mount', '--propagation', 'private', '--',
    ...selfCommand(), ...process.argv.slice(2),
  ];
  // decided here, outside the namespace, where uid and $HOME are the user's
  const env = { ...process.env, CAS_STORE_DIR: resolveStoreDir(storeFlag), PIPEKIT_RUNTIME_DIR: runtimeDir() };
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', args, { stdio: 'inherit', env });
    child.on('error', (err) => reject(new UsageError(`cannot start a rootless build: unshare failed: ${err.message} (install util-linux and uidmap)`, { cause: err })));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    // the child gets the terminal's signals itself; keep this process alive until it is done
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => child.kill(s));
  });
}
