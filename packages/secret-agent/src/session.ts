// The in-memory session: secrets read once at start, SSH agents per id. Used
// in-process by llb-solve (--secret/--ssh) and behind `secret-agent serve`.
import process from 'node:process';
import type { Duplex } from 'node:stream';
import { NotFoundError, UsageError } from '@pipekit/wire';
import { loadSecret, parseSecretSpec, type LoadedSecret } from './secret-spec.ts';
import { loadSshAgent, parseSshSpec } from './ssh-spec.ts';
import type { AgentBackend, SessionInfo, SessionProvider } from './types.ts';

export type SessionOptions = {
  /** --secret values */
  secrets?: string[];
  /** --ssh values */
  ssh?: string[];
  /** where env= secrets, auto-detection and $SSH_AUTH_SOCK look (default: process.env) */
  env?: Record<string, string | undefined>;
};

export class LocalSession implements SessionProvider {
  private secrets = new Map<string, LoadedSecret>();
  private agents = new Map<string, AgentBackend>();

  /** Parse and load everything now, so a bad spec fails before any build step. */
  static async open(opts: SessionOptions): Promise<LocalSession> {
    const env = opts.env ?? process.env;
    const s = new LocalSession();
    for (const raw of opts.secrets ?? []) {
      const spec = parseSecretSpec(raw, env);
      if (s.secrets.has(spec.id)) throw new UsageError(`--secret id=${spec.id} is given twice`);
      s.secrets.set(spec.id, await loadSecret(spec, env));
    }
    for (const raw of opts.ssh ?? []) {
      const spec = parseSshSpec(raw);
      if (s.agents.has(spec.id)) throw new UsageError(`--ssh ${spec.id} is given twice`);
      s.agents.set(spec.id, await loadSshAgent(spec, env));
    }
    return s;
  }

  get empty(): boolean {
    return this.secrets.size === 0 && this.agents.size === 0;
  }

  async info(): Promise<SessionInfo> {
    return {
      secrets: [...this.secrets.values()].map((s) => ({ id: s.id, cacheContent: s.cacheContent })),
      ssh: [...this.agents.keys()],
    };
  }

  async getSecret(id: string): Promise<Buffer | undefined> {
    const s = this.secrets.get(id);
    return s ? Buffer.from(s.value) : undefined;
  }

  /** What backs each ssh id (for listings). */
  describeAgents(): Record<string, string> {
    return Object.fromEntries([...this.agents].map(([id, a]) => [id, a.describe()]));
  }

  forwardAgent(id: string, conn: Duplex, pre?: Buffer): Promise<void> {
    const agent = this.agents.get(id);
    if (!agent) return Promise.reject(new NotFoundError(`no ssh agent with id ${JSON.stringify(id)} in this session`));
    return new Promise((resolve) => {
      conn.once('close', () => resolve());
      agent.serve(conn, pre);
    });
  }

  async close(): Promise<void> {
    for (const s of this.secrets.values()) s.value.fill(0);
    this.secrets.clear();
    this.agents.clear();
  }
}
