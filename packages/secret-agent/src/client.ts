// A build's side of `secret-agent serve`: llb-solve --session SOCKET talks to a
// separately started agent through this, with the session's token.
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { NotFoundError, RemoteError, UsageError } from '@pipekit/wire';
import { headerLine, PROTOCOL_VERSION, readHeader, type SessionReply, type SessionRequest } from './protocol.ts';
import { MAX_SECRET_SIZE, reason } from './secret-spec.ts';
import type { SessionInfo, SessionProvider } from './types.ts';

export class RemoteSession implements SessionProvider {
  readonly socket: string;
  private token: string;
  private constructor(socket: string, token: string) {
    this.socket = socket;
    this.token = token;
  }

  /** Connect and check the token once, so a wrong socket or token fails before the build. */
  static async connect(socket: string, token: string): Promise<RemoteSession> {
    const s = new RemoteSession(socket, token);
    await s.info();
    return s;
  }

  private async request(op: SessionRequest['op'], id?: string): Promise<{ conn: Socket; reply: SessionReply; rest: Buffer }> {
    const conn = connect(this.socket);
    await new Promise<void>((resolve, reject) => {
      conn.once('connect', () => resolve());
      conn.once('error', (err: NodeJS.ErrnoException) => {
        const why = err.code === 'ECONNREFUSED' ? 'nothing listens there' : reason(err);
        reject(new RemoteError(`cannot reach the secret-agent session at ${this.socket}: ${why} (is secret-agent serve running?)`, { cause: err }));
      });
    });
    conn.write(headerLine({ v: PROTOCOL_VERSION, token: this.token, op, id }));
    const { header: reply, rest } = await readHeader<SessionReply>(conn).catch((err) => {
      conn.destroy();
      throw new RemoteError(`secret-agent session at ${this.socket} did not answer: ${(err as Error).message}`, { cause: err });
    });
    if (!reply.ok) {
      conn.destroy();
      if (reply.code === 'notfound') throw new NotFoundError(reply.error);
      if (reply.code === 'denied') {
        throw new RemoteError(`the secret-agent session at ${this.socket} refused the token: ` +
          'set PIPEKIT_SESSION_TOKEN to the token that secret-agent serve printed');
      }
      throw new RemoteError(`secret-agent session at ${this.socket}: ${reply.error}`);
    }
    return { conn, reply, rest };
  }

  async info(): Promise<SessionInfo> {
    const { conn, reply } = await this.request('info');
    conn.destroy();
    return reply.ok && reply.info ? reply.info : { secrets: [], ssh: [] };
  }

  async getSecret(id: string): Promise<Buffer | undefined> {
    let got: Awaited<ReturnType<RemoteSession['request']>>;
    try {
      got = await this.request('secret', id);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    const { conn, reply, rest } = got;
    const size = reply.ok ? reply.size ?? 0 : 0;
    if (size > MAX_SECRET_SIZE) {
      conn.destroy();
      throw new RemoteError(`secret-agent session at ${this.socket} offered ${size} bytes for secret ${JSON.stringify(id)}, over the ${MAX_SECRET_SIZE}-byte limit`);
    }
    const chunks: Buffer[] = [rest];
    let have = rest.length;
    conn.resume();
    for await (const c of conn) {
      chunks.push(c as Buffer);
      have += (c as Buffer).length;
    }
    if (have !== size) throw new RemoteError(`secret-agent session at ${this.socket} sent ${have} of ${size} bytes of a secret`);
    return Buffer.concat(chunks);
  }

  async forwardAgent(id: string, conn: Duplex): Promise<void> {
    const { conn: up, rest } = await this.request('ssh', id);
    if (rest.length) conn.write(rest);
    const end = () => {
      up.destroy();
      conn.destroy();
    };
    up.on('error', end);
    conn.on('error', end);
    await new Promise<void>((resolve) => {
      up.once('close', () => {
        end();
        resolve();
      });
      conn.once('close', end);
      up.pipe(conn);
      conn.pipe(up);
    });
  }

  async close(): Promise<void> {}
}

/** `--session SOCKET`: the token comes from $PIPEKIT_SESSION_TOKEN (never the command line, which others can read). */
export async function openRemoteSession(socket: string, env: Record<string, string | undefined>): Promise<RemoteSession> {
  const token = env.PIPEKIT_SESSION_TOKEN;
  if (!token) {
    throw new UsageError(`--session ${socket}: PIPEKIT_SESSION_TOKEN is not set; ` +
      'eval "$(secret-agent serve --detach --format sh ...)" sets it along with PIPEKIT_SESSION');
  }
  return RemoteSession.connect(socket, token);
}
