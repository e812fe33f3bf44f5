// `--ssh default | default=SOCKET | ID=KEYFILE[,KEYFILE]` (BuildKit's syntax):
// an id with no path uses $SSH_AUTH_SOCK; a socket is proxied read-only; key
// files become an in-memory agent (passphrase-less keys only).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ParsedKey } from 'ssh2';
import { NotFoundError, UsageError } from '@pipekit/wire';
import { ReadOnlyAgentProxy } from './agent-proxy.ts';
import { Keyring } from './keyring.ts';
import { ID_PATTERN, reason } from './secret-spec.ts';
import { loadSsh2, type Ssh2 } from './ssh2.ts';
import type { AgentBackend } from './types.ts';

export type SshSpec = { id: string; paths: string[] };

export function parseSshSpec(spec: string): SshSpec {
  const eq = spec.indexOf('=');
  const id = (eq < 0 ? spec : spec.slice(0, eq)).trim();
  const bad = (why: string): never => {
    throw new UsageError(`invalid --ssh ${JSON.stringify(spec)}: ${why} (expected default, default=SOCKET or ID=KEYFILE[,KEYFILE])`);
  };
  if (!id) bad('the id is empty');
  if (!ID_PATTERN.test(id)) bad(`id ${JSON.stringify(id)} may only hold letters, digits, '.', '_' and '-'`);
  const paths = eq < 0 ? [] : spec.slice(eq + 1).split(',').filter((p) => p !== '');
  if (paths.some((p) => /^[a-z]+=/.test(p))) bad('options such as raw= are not supported');
  return { id, paths: paths.map((p) => (p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p)) };
}

function loadKey(ssh2: Ssh2, spec: SshSpec, file: string, data: Buffer): ParsedKey {
  const where = `--ssh ${spec.id}=${file}`;
  const parsed = ssh2.utils.parseKey(data);
  if (parsed instanceof Error) {
    if (/encrypted|passphrase/i.test(parsed.message)) {
      throw new UsageError(`${where}: the key is protected by a passphrase, and only passphrase-less keys can be loaded; ` +
        `add it to your ssh-agent (ssh-add ${file}) and pass --ssh ${spec.id} instead`);
    }
    throw new UsageError(`${where}: not an SSH private key (${parsed.message})`);
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) throw new UsageError(`${where}: this is a public key; name the private key file`);
  return key;
}

/** Check the paths now and build the agent for this id. */
export async function loadSshAgent(spec: SshSpec, env: Record<string, string | undefined>): Promise<AgentBackend> {
  let paths = spec.paths;
  if (paths.length === 0) {
    const sock = env.SSH_AUTH_SOCK;
    if (!sock) {
      throw new UsageError(`--ssh ${spec.id}: $SSH_AUTH_SOCK is not set: start ssh-agent, or name a socket or key file ` +
        `(--ssh ${spec.id}=~/.ssh/id_ed25519)`);
    }
    paths = [sock];
  }
  const kinds = await Promise.all(paths.map(async (p) => {
    const st = await fs.stat(p).catch((err: NodeJS.ErrnoException) => {
      throw new NotFoundError(`--ssh ${spec.id}=${p}: cannot use ${p}: ${reason(err)}`, { cause: err });
    });
    if (st.isSocket()) return 'socket';
    if (st.isFile()) return 'file';
    throw new UsageError(`--ssh ${spec.id}=${p}: ${p} is neither a socket nor a key file`);
  }));
  if (kinds.includes('socket')) {
    if (paths.length > 1) throw new UsageError(`--ssh ${spec.id}: a socket cannot be combined with other sockets or key files`);
    return new ReadOnlyAgentProxy(paths[0]);
  }
  const ssh2 = loadSsh2();
  const keys: ParsedKey[] = [];
  for (const p of paths) {
    const data = await fs.readFile(p).catch((err: NodeJS.ErrnoException) => {
      throw new NotFoundError(`--ssh ${spec.id}=${p}: cannot read ${p}: ${reason(err)}`, { cause: err });
    });
    keys.push(loadKey(ssh2, spec, p, data));
  }
  return new Keyring(keys, paths, ssh2);
}
