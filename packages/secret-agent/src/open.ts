// The session a build uses: an in-process one over --secret/--ssh, a separate
// `secret-agent serve` reached with --session SOCKET, or none.
import process from 'node:process';
import { UsageError } from '@pipekit/wire';
import { openRemoteSession } from './client.ts';
import { LocalSession } from './session.ts';
import type { SessionProvider } from './types.ts';

export type OpenSessionOptions = { secrets?: string[]; ssh?: string[]; session?: string; env?: Record<string, string | undefined> };

export async function openSession(opts: OpenSessionOptions): Promise<SessionProvider | undefined> {
  const env = opts.env ?? process.env;
  const local = (opts.secrets?.length ?? 0) + (opts.ssh?.length ?? 0) > 0;
  if (opts.session) {
    if (local) throw new UsageError('--session uses a separately started secret-agent: give --secret and --ssh to secret-agent serve, not here');
    return openRemoteSession(opts.session, env);
  }
  return local ? LocalSession.open({ secrets: opts.secrets, ssh: opts.ssh, env }) : undefined;
}
