// RUN: an exec op over the current filesystem. The shell form runs through the
// stage's SHELL; ARG values ride in the env (so they are part of the cache key);
// --mount adds bind/cache/tmpfs/secret/ssh mounts as BuildKit does; heredocs
// follow run-heredoc.ts.
import type { ExecOp, Input, Mount } from '@pipekit/wire';
import type { Node } from '../parser/index.ts';
import { ShellLex } from '../shell/index.ts';
import { runHistory } from './args.ts';
import type { Conv } from './context.ts';
import { checkFlags } from './flags.ts';
import { history } from './dispatch-meta.ts';
import { commandOf, type StepNamer } from './naming.ts';
import { heredocRun } from './run-heredoc.ts';
import { inputIndex, parseMount } from './run-mounts.ts';
import { fromSource } from './stage-ref.ts';
import { getEnv, setEnv, shellOf, type StageState } from './state.ts';

const RUN_FLAGS = { mount: 'list', network: 'string', security: 'string' } as const;

/** RUN's progress name: variables expanded but quotes kept and unset names left as written. */
function runName(conv: Conv, st: StageState, text: string): string {
  const lex = new ShellLex(conv.lex.escapeToken, { rawQuotes: true, skipUnsetEnv: true });
  let out = text;
  try {
    out = lex.processWord(text, (k) => getEnv(st.env, k));
  } catch {
    // shown as written
  }
  const sp = out.indexOf(' ');
  return sp < 0 ? out.toUpperCase() : `${out.slice(0, sp).toUpperCase()}${out.slice(sp)}`;
}

export async function dispatchRun(conv: Conv, st: StageState, n: Node, namer: StepNamer): Promise<void> {
  const flags = checkFlags('run', n.flags, RUN_FLAGS, conv.failer(n));
  const network = flags.str('network') ?? 'default';
  if (!['default', 'none', 'host'].includes(network)) conv.fail(n, `invalid --network=${network}`, { hint: 'RUN --network takes default, none or host', near: '--network' });
  const security = flags.str('security') ?? 'sandbox';
  if (!['sandbox', 'insecure'].includes(security)) conv.fail(n, `invalid --security=${security}`, { hint: 'RUN --security takes sandbox or insecure', near: '--security' });
  const words = n.next.map((x) => x.value);
  if (words.length === 0 || (!n.json && words.join('').trim() === '')) conv.fail(n, 'RUN requires at least one argument', { hint: 'write RUN <command> or RUN ["executable", "arg"]' });

  let custom = commandOf(n);
  let cmd = n.json ? words : [words.join(' ')];
  let heredocMount: { mount: Mount; source: Input } | undefined;
  if (n.heredocs.length > 0 && !n.json) {
    const h = heredocRun(conv, n, words.join(' '), st.platform.os === 'windows');
    cmd = h.args;
    heredocMount = h.mount;
    if (h.summary !== undefined) custom += ` (${h.summary})`;
  }
  const args = n.json ? cmd : [...shellOf(st), cmd.join(' ')];

  const inputs: Input[] = st.ref ? [st.ref] : [];
  const mounts: Mount[] = [{ input: st.ref ? 0 : -1, selector: '', dest: '/', output: 0, readonly: false, type: 'bind', cache: null, tmpfs: null, secret: null, ssh: null }];
  if (heredocMount) {
    mounts.push({ ...heredocMount.mount, input: inputIndex(inputs, heredocMount.source) });
  }
  let env = st.env;
  const secretEnv: ExecOp['secretEnv'] = [];
  let sshCount = 0;
  for (const spec of flags.list('mount')) {
    const pm = parseMount(spec, st.cwd, sshCount, (m) => conv.fail(n, `--mount=${spec}: ${m}`, { near: spec }));
    const m = pm.mount;
    if (pm.from === 'context') m.input = inputIndex(inputs, conv.context());
    else if (pm.from !== 'none') m.input = inputIndex(inputs, await fromSource(conv, st, n, pm.from.name, 'from'));
    if (pm.cacheDir && m.input < 0) {
      const { mode, uid, gid } = pm.cacheDir;
      const prep = conv.graph.add(
        { inputs: [], platform: null, file: { actions: [{ input: -1, secondaryInput: -1, output: 0, mkdir: { path: '/cache', mode, makeParents: true, owner: { user: { id: uid, name: '', input: -1 }, group: { id: gid, name: '', input: -1 } }, timestamp: -1 } }] } },
        { name: '[internal] setting cache mount permissions' },
      );
      m.input = inputIndex(inputs, prep);
      m.selector = '/cache';
    }
    if (m.type === 'ssh') {
      sshCount++;
      if (sshCount === 1 && getEnv(env, 'SSH_AUTH_SOCK') === undefined) env = setEnv(env, 'SSH_AUTH_SOCK', m.dest);
    }
    if (pm.env) secretEnv.push(pm.env);
    if (m.type === 'secret' && m.dest === '') continue;
    mounts.push(m as Mount);
  }
  mounts.sort((a, b) => (a.dest < b.dest ? -1 : a.dest > b.dest ? 1 : 0));
  const exec: ExecOp = {
    meta: { args, env, cwd: st.cwd, user: st.user, hostname: '', validExitCodes: [] },
    mounts,
    network: network === 'default' ? 'sandbox' : (network as 'none' | 'host'),
    security: security as 'sandbox' | 'insecure',
    secretEnv,
  };
  st.ref = conv.graph.add(
    { inputs, platform: st.platform, exec },
    { name: namer.next(runName(conv, st, custom)), stage: st.name, command: commandOf(n), locations: conv.location(n) },
  );
  history(conv, st, `RUN ${runHistory(st, args)} # buildkit`, true);
}
