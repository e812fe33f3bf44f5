// `--ssh ID=SOCKET` / `--ssh default`: forwards an existing agent read-only, as
// BuildKit's readOnlyAgent does: listing keys and signing pass through, every
// other request (add, remove, lock, extensions) is answered SSH_AGENT_FAILURE
// without reaching the real agent.
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { agentFrames, FAILURE_FRAME, SSH2_AGENTC_REQUEST_IDENTITIES, SSH2_AGENTC_SIGN_REQUEST } from './agent-frames.ts';
import type { AgentBackend } from './types.ts';

const ALLOWED = new Set([SSH2_AGENTC_REQUEST_IDENTITIES, SSH2_AGENTC_SIGN_REQUEST]);

export class ReadOnlyAgentProxy implements AgentBackend {
  readonly socket: string;
  constructor(socket: string) {
    this.socket = socket;
  }

  describe(): string {
    return `read-only proxy to ${this.socket}`;
  }

  serve(conn: Duplex, pre?: Buffer): void {
    let up: Socket | undefined;
    let upFrames: AsyncGenerator<Buffer> | undefined;
    const end = () => {
      up?.destroy();
      conn.destroy();
    };
    conn.on('error', end);
    conn.on('close', end);
    // one request at a time: the protocol answers in order
    (async () => {
      for await (const frame of agentFrames(conn, pre)) {
        if (!ALLOWED.has(frame[4])) {
          conn.write(FAILURE_FRAME);
          continue;
        }
        if (!up) {
          up = connect(this.socket);
          up.on('error', end);
          upFrames = agentFrames(up);
        }
        up.write(frame);
        const answer = await upFrames?.next();
        if (!answer || answer.done) break;
        conn.write(answer.value);
      }
    })().then(end, end);
  }
}
