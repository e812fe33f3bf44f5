// Test helpers: temp dirs, throwaway SSH keys made with ssh-keygen, and
// running OpenSSH's ssh-add against an agent socket.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';

export async function tempDir(prefix = 'sa'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `pipekit-${prefix}-`));
}

export type Run = { code: number; stdout: string; stderr: string };

export function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** ssh-keygen a key; returns the private key path (public key beside it, .pub). */
export async function makeKey(dir: string, name: string, type: 'ed25519' | 'rsa' | 'ecdsa' = 'ed25519', passphrase = ''): Promise<string> {
  const file = path.join(dir, name);
  const r = await run('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', passphrase, '-C', name, '-f', file]);
  if (r.code !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return file;
}

export function sshAdd(sock: string, ...args: string[]): Promise<Run> {
  return run('ssh-add', args, { SSH_AUTH_SOCK: sock });
}

/** A real OpenSSH ssh-agent on a socket in dir; kill() stops it. */
export async function startSshAgent(dir: string): Promise<{ sock: string; kill: () => void }> {
  const sock = path.join(dir, 'upstream.sock');
  const r = await run('ssh-agent', ['-a', sock, '-s']);
  const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(r.stdout)?.[1]);
  if (!pid) throw new Error(`ssh-agent did not start: ${r.stderr}`);
  let alive = true;
  const kill = () => {
    if (alive) process.kill(pid);
    alive = false;
  };
  // even when a failed test ends the process early
  process.once('exit', kill);
  return { sock, kill };
}
