// What a build sees of a session: which secrets and SSH agents it may use, the
// secrets' bytes on request, and an SSH agent served on a connection.
import type { Duplex } from 'node:stream';

export type SessionInfo = {
  /** secret ids, never values; cacheContent: the value's salted hash joins cache keys */
  secrets: { id: string; cacheContent: boolean }[];
  /** ssh agent ids */
  ssh: string[];
};

export interface SessionProvider {
  info(): Promise<SessionInfo>;
  /** the secret's bytes, or undefined when this session has no such id */
  getSecret(id: string): Promise<Buffer | undefined>;
  /** serve the (read-only) SSH agent protocol for `id` on `conn` until it closes; rejects for an unknown id */
  forwardAgent(id: string, conn: Duplex): Promise<void>;
  close(): Promise<void>;
}

/** An SSH agent that answers the requests arriving on one connection. */
export interface AgentBackend {
  /** `pre`: bytes of the agent protocol already read from conn */
  serve(conn: Duplex, pre?: Buffer): void;
  /** one line for listings: what backs this agent (never key material) */
  describe(): string;
}
