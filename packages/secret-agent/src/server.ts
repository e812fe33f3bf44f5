// `secret-agent serve`: the session on a Unix socket that only its user can
// reach (0600 in a fresh 0700 directory), answering only requests that carry
// the session's random token.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { headerLine, PROTOCOL_VERSION, readHeader, tokenMatches, type SessionReply, type SessionRequest } from './protocol.ts';
import type { LocalSession } from './session.ts';

export type ServedSession = { socket: string; token: string; close: () => Promise<void> };

/** The directory for session sockets: $XDG_RUNTIME_DIR when set, else the temp dir. */
function baseDir(): string {
  return process.env.XDG_RUNTIME_DIR || os.tmpdir();
}

export async function serveSession(session: LocalSession, opts: { dir?: string } = {}): Promise<ServedSession> {
  const dir = await fs.mkdtemp(path.join(opts.dir ?? baseDir(), 'secret-agent-'));
  await fs.chmod(dir, 0o700);
  const socket = path.join(dir, 'agent.sock');
  const token = randomBytes(32).toString('hex');
  const conns = new Set<Socket>();
  const server = createServer((conn) => {
    conns.add(conn);
    conn.on('close', () => conns.delete(conn));
    conn.on('error', () => conn.destroy());
    handle(session, token, conn).catch(() => conn.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  await fs.chmod(socket, 0o600);
  return {
    socket,
    token,
    close: async () => {
      for (const c of conns) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

async function handle(session: LocalSession, token: string, conn: Socket): Promise<void> {
  const { header: req, rest } = await readHeader<SessionRequest>(conn);
  const reply = (r: SessionReply) => conn.write(headerLine(r));
  if (!tokenMatches(req?.token, token)) {
    reply({ ok: false, code: 'denied', error: 'wrong session token' });
    conn.end();
    return;
  }
  if (req.v !== PROTOCOL_VERSION) {
    reply({ ok: false, code: 'bad', error: `protocol version ${req.v} is not ${PROTOCOL_VERSION}` });
    conn.end();
    return;
  }
  const id = typeof req.id === 'string' ? req.id : '';
  if (req.op === 'info') {
    reply({ ok: true, info: await session.info() });
    conn.end();
  } else if (req.op === 'secret') {
    const value = await session.getSecret(id);
    if (!value) reply({ ok: false, code: 'notfound', error: `no secret ${JSON.stringify(id)} in this session` });
    else {
      reply({ ok: true, size: value.length });
      conn.write(value);
    }
    conn.end();
  } else if (req.op === 'ssh') {
    if (!(await session.info()).ssh.includes(id)) {
      reply({ ok: false, code: 'notfound', error: `no ssh agent ${JSON.stringify(id)} in this session` });
      conn.end();
      return;
    }
    reply({ ok: true });
    await session.forwardAgent(id, conn, rest);
  } else {
    reply({ ok: false, code: 'bad', error: `unknown op ${JSON.stringify(req.op)}` });
    conn.end();
  }
}
