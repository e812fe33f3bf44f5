// `secret-agent serve`: load the secrets and agents, serve them on a private
// socket, print where (and the token) as one record, and run until SIGINT or
// SIGTERM. --detach runs the server in the background (like ssh-agent) and
// returns once it is ready.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { isDeno, PipekitError } from '@pipekit/wire';
import { serveSession } from './server.ts';
import { LocalSession } from './session.ts';

export type ServeCommand = {
  secrets: string[];
  ssh: string[];
  format: 'json' | 'sh';
  detach: boolean;
  writeOut: (s: string) => Promise<void>;
};

export type SessionRecord = { socket: string; token: string; pid: number };

export function formatRecord(rec: SessionRecord, format: 'json' | 'sh'): string {
  if (format === 'json') return `${JSON.stringify(rec)}\n`;
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [`PIPEKIT_SESSION=${q(rec.socket)}; export PIPEKIT_SESSION;`, `PIPEKIT_SESSION_TOKEN=${rec.token}; export PIPEKIT_SESSION_TOKEN;`,
    `SECRET_AGENT_PID=${rec.pid}; export SECRET_AGENT_PID;`, ''].join('\n');
}

export async function runServe(cmd: ServeCommand): Promise<void> {
  if (cmd.detach) return detach(cmd);
  const session = await LocalSession.open({ secrets: cmd.secrets, ssh: cmd.ssh });
  const served = await serveSession(session);
  const stop = new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => resolve());
  });
  await cmd.writeOut(formatRecord({ socket: served.socket, token: served.token, pid: process.pid }, cmd.format));
  await stop;
  await served.close();
  await session.close();
}

/** The command that runs this CLI again, for the current runtime. */
function selfCommand(): { file: string; args: string[] } {
  if (!isDeno) return { file: process.execPath, args: [...process.execArgv, process.argv[1]] };
  const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
  const config = path.resolve(path.dirname(cli), '..', '..', '..', 'deno.json');
  return { file: process.execPath, args: ['run', '-A', '--quiet', ...(existsSync(config) ? ['--config', config] : []), cli] };
}

async function detach(cmd: ServeCommand): Promise<void> {
  const self = selfCommand();
  const args = [...self.args, 'serve', ...cmd.secrets.flatMap((s) => ['--secret', s]), ...cmd.ssh.flatMap((s) => ['--ssh', s]), '--format', 'json'];
  const child = spawn(self.file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  let out = '';
  let err = '';
  const rec = await new Promise<SessionRecord>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as SessionRecord);
    });
    child.stderr?.on('data', (d: Buffer) => (err += d));
    child.on('error', (e) => reject(new PipekitError(`cannot start the background secret-agent: ${e.message}`)));
    child.on('close', (code) => {
      const msg = err.trim().replace(/^secret-agent: /, '') || `exit code ${code}`;
      reject(Object.assign(new PipekitError(msg), { exitCode: code || 1 }));
    });
  });
  child.stdout?.destroy();
  child.stderr?.destroy();
  child.removeAllListeners('close');
  child.unref();
  await cmd.writeOut(formatRecord(rec, cmd.format));
}
