// Secret and SSH mounts of a RUN step, fetched from the build's session at exec
// time. A secret file lives on its own tmpfs outside the rootfs and is bound
// read-only at its target (BuildKit's getSecretMountable); an SSH mount is a
// Unix socket whose connections are served by the session's agent. Secret env
// values join the process env only. Values never reach the graph, the store or
// a cache key: `cache=content` secrets add a keyed hash to the key instead.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import path from 'node:path';
import { BuildError, PipekitError, runCommand, type ExecOp, type Mount, runtimeDir } from '@pipekit/wire';
import { contentFingerprint, fingerprintKey, type SessionInfo, type SessionProvider } from '@pipekit/secret-agent';
import type { SolveContext } from '../context.ts';
import type { OciMount } from './spec.ts';

/** Host directory for the per-mount private dirs (each a 0700 dir; secret files on a tmpfs inside). */
export const SECRETS_ROOT = path.join(runtimeDir(), 'secrets');

export type SecretMount = { mount: OciMount; cleanup: () => Promise<void> };

const infos = new WeakMap<SessionProvider, Promise<SessionInfo>>();
function sessionInfo(session: SessionProvider | undefined): Promise<SessionInfo> {
  if (!session) return Promise.resolve({ secrets: [], ssh: [] });
  let p = infos.get(session);
  if (!p) infos.set(session, (p = session.info()));
  return p;
}

function missing(kind: string, id: string): BuildError {
  return new BuildError(`${kind} "${id}" is required by this step but the build was not given it (pass --${kind === 'secret' ? 'secret id=' : 'ssh '}${id})`);
}

async function privateDir(): Promise<string> {
  await fs.mkdir(SECRETS_ROOT, { recursive: true, mode: 0o700 });
  const dir = await fs.mkdtemp(path.join(SECRETS_ROOT, 'm-'));
  await fs.chmod(dir, 0o700);
  return dir;
}

async function unmountAndRemove(dir: string, mounted: boolean): Promise<void> {
  if (mounted) {
    const res = await runCommand('umount', [dir]);
    if (res.code !== 0) await runCommand('umount', ['-l', dir]);
  }
  await fs.rm(dir, { recursive: true, force: true });
}

async function secretFile(ctx: SolveContext, m: Mount): Promise<SecretMount | undefined> {
  const opt = m.secret;
  if (!opt) throw new PipekitError(`secret mount at ${m.dest} has no secret options`);
  const value = await ctx.session?.getSecret(opt.id);
  if (!value) {
    if (opt.optional) return undefined;
    throw missing('secret', opt.id);
  }
  const dir = await privateDir();
  let mounted = false;
  try {
    const mode = opt.mode & 0o777;
    const noexec = mode & 0o111 ? [] : ['noexec'];
    const res = await runCommand('mount', ['-t', 'tmpfs', '-o', ['nodev', 'nosuid', ...noexec, 'mode=0700', 'size=1m'].join(','), 'tmpfs', dir]);
    if (res.code !== 0) throw new PipekitError(`cannot mount a tmpfs for secret "${opt.id}": ${String(res.stderr).trim()}`);
    mounted = true;
    const file = path.join(dir, randomBytes(8).toString('hex'));
    await fs.writeFile(file, value, { mode: 0o600 });
    await fs.chown(file, opt.uid, opt.gid);
    await fs.chmod(file, mode);
    return {
      mount: { destination: m.dest, type: 'bind', source: file, options: ['rbind', 'ro', 'nodev', 'nosuid', ...noexec] },
      cleanup: () => unmountAndRemove(dir, true),
    };
  } catch (err) {
    await unmountAndRemove(dir, mounted);
    throw err;
  } finally {
    value.fill(0);
  }
}

async function sshSocket(ctx: SolveContext, m: Mount): Promise<SecretMount | undefined> {
  const opt = m.ssh;
  if (!opt) throw new PipekitError(`ssh mount at ${m.dest} has no ssh options`);
  const session = ctx.session;
  if (!session || !(await sessionInfo(session)).ssh.includes(opt.id)) {
    if (opt.optional) return undefined;
    throw missing('ssh', opt.id);
  }
  const dir = await privateDir();
  const sock = path.join(dir, 'ssh_auth_sock');
  const conns = new Set<Socket>();
  const server = createServer((conn) => {
    conns.add(conn);
    conn.on('close', () => conns.delete(conn));
    conn.on('error', () => conn.destroy());
    session.forwardAgent(opt.id, conn).catch(() => conn.destroy());
  });
  const cleanup = async () => {
    for (const c of conns) c.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(sock, () => resolve());
    });
    await fs.chown(sock, opt.uid, opt.gid);
    await fs.chmod(sock, opt.mode & 0o777);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { mount: { destination: m.dest, type: 'bind', source: sock, options: ['rbind', 'nodev', 'nosuid', 'noexec'] }, cleanup };
}

/** The OCI mount for a secret or ssh mount; undefined when it is optional and the session lacks it. */
export async function secretMount(ctx: SolveContext, m: Mount): Promise<SecretMount | undefined> {
  if (m.type === 'secret') return secretFile(ctx, m);
  if (m.type === 'ssh') return sshSocket(ctx, m);
  throw new PipekitError(`mount type ${m.type} at ${m.dest} is not a secret or ssh mount`);
}

/** `env` with each secretEnv entry set to the secret's value (replacing a same-named entry). */
export async function withSecretEnv(ctx: SolveContext, e: ExecOp, env: string[]): Promise<string[]> {
  let out = env;
  for (const s of e.secretEnv) {
    const value = await ctx.session?.getSecret(s.id);
    if (!value) {
      if (s.optional) continue;
      throw missing('secret', s.id);
    }
    out = [...out.filter((kv) => !kv.startsWith(`${s.name}=`)), `${s.name}=${value.toString('utf8')}`];
    value.fill(0);
  }
  return out;
}

const keys = new Map<string, Promise<Buffer>>();

/** Extra cache-key material: a keyed hash per `cache=content` secret this step uses; {} when none. */
export async function secretCacheKeys(ctx: SolveContext, e: ExecOp): Promise<{ secrets?: { id: string; fingerprint: string }[] }> {
  if (!ctx.session) return {};
  const used = new Set([...e.mounts.flatMap((m) => (m.type === 'secret' && m.secret ? [m.secret.id] : [])), ...e.secretEnv.map((s) => s.id)]);
  const content = (await sessionInfo(ctx.session)).secrets.filter((s) => s.cacheContent && used.has(s.id)).map((s) => s.id).sort();
  if (content.length === 0) return {};
  let key = keys.get(ctx.store.dir);
  if (!key) keys.set(ctx.store.dir, (key = fingerprintKey(ctx.store.dir)));
  const out: { id: string; fingerprint: string }[] = [];
  for (const id of content) {
    const value = await ctx.session.getSecret(id);
    if (!value) continue;
    out.push({ id, fingerprint: contentFingerprint(await key, id, value) });
    value.fill(0);
  }
  return { secrets: out };
}
