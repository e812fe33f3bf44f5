// RUN: an exec op over the current filesystem. The shell form runs through the
// stage's SHELL; ARG values ride in the env (so they are part of the cache key).
import type { ExecOp, Mount } from '@pipekit/wire';
import type { Node } from '../parser/index.ts';
import type { Conv } from './context.ts';
import { flag, parseFlags } from './flags.ts';
import type { StepNamer } from './naming.ts';
import { commandText } from './naming.ts';
import type { StageState } from './state.ts';

export function dispatchRun(conv: Conv, st: StageState, n: Node, namer: StepNamer): void {
  const flags = parseFlags(n.flags, ['mount', 'network', 'security'], (m) => conv.fail(n, m));
  if (flags.has('mount')) conv.fail(n, 'RUN --mount is not supported yet by this frontend');
  const network = flag(flags, 'network') ?? 'default';
  if (!['default', 'none', 'host'].includes(network)) conv.fail(n, `invalid --network=${network}: expected default, none or host`);
  const security = flag(flags, 'security') ?? 'sandbox';
  if (!['sandbox', 'insecure'].includes(security)) conv.fail(n, `invalid --security=${security}: expected sandbox or insecure`);
  if (n.heredocs.length > 0) conv.fail(n, 'RUN with heredocs is not supported yet by this frontend');
  const words = n.next.map((x) => x.value);
  if (words.length === 0) conv.fail(n, 'RUN requires at least one argument');
  const args = n.json ? words : [...st.shell, words.join(' ')];
  const inputs = st.ref ? [st.ref] : [];
  const root: Partial<Mount> = { input: st.ref ? 0 : -1, dest: '/', output: 0, type: 'bind' };
  const exec: Partial<ExecOp> = {
    meta: { args, env: st.env, cwd: st.cwd, user: st.user, hostname: '', validExitCodes: [] },
    mounts: [root as Mount],
    network: network === 'default' ? 'sandbox' : (network as 'none' | 'host'),
    security: security as 'sandbox' | 'insecure',
  };
  const text = commandText(n);
  st.ref = conv.graph.add(
    { inputs, platform: st.platform, exec: exec as ExecOp },
    { name: namer.next(text), stage: st.name, command: text, locations: conv.location(n) },
  );
  const argVals = [...st.args].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  const prefix = argVals.length ? `|${argVals.length} ${argVals.join(' ')} ` : '';
  st.config.history.push({ created: conv.opts.created, created_by: `RUN ${prefix}${args.join(' ')} # buildkit`, comment: 'buildkit.dockerfile.v0' });
}
