// RUN: an exec op over the current filesystem. The shell form runs through the
// stage's SHELL; ARG values ride in the env (so they are part of the cache key);
// --mount adds bind/cache/tmpfs/secret/ssh mounts as BuildKit does.
import type { ExecOp, Input, Mount } from '@pipekit/wire';
import type { Node } from '../parser/index.ts';
import type { Conv } from './context.ts';
import { flag, parseFlags } from './flags.ts';
import type { StepNamer } from './naming.ts';
import { commandText } from './naming.ts';
import { inputIndex, parseMount } from './run-mounts.ts';
import { findStage } from './stages.ts';
import type { StageState } from './state.ts';
import { setEnv } from './state.ts';

async function mountSource(conv: Conv, st: StageState, n: Node, name: string): Promise<Input> {
  if (name.includes('$')) conv.fail(n, `--mount from=${name}: variables are not expanded here; use a named stage`);
  const stage = findStage(conv.stages, name, st.index);
  if (stage) {
    const ref = (await conv.stageState(stage.index)).ref;
    if (ref) return ref;
    return conv.graph.add({ inputs: [], platform: null, file: { actions: [{ input: -1, secondaryInput: -1, output: 0, mkdir: { path: '/', mode: 0o755, makeParents: true, owner: null, timestamp: -1 } }] } }, { name: '[internal] empty stage' });
  }
  const img = await conv.image(name, st.platform, n);
  return conv.graph.add({ inputs: [], platform: st.platform, source: { identifier: `docker-image://${img.pinned}`, attrs: {} } }, { name: `[internal] load ${img.pinned}`, stage: st.name });
}

export async function dispatchRun(conv: Conv, st: StageState, n: Node, namer: StepNamer): Promise<void> {
  const flags = parseFlags(n.flags, ['mount', 'network', 'security'], (m) => conv.fail(n, m));
  const network = flag(flags, 'network') ?? 'default';
  if (!['default', 'none', 'host'].includes(network)) conv.fail(n, `invalid --network=${network}: expected default, none or host`);
  const security = flag(flags, 'security') ?? 'sandbox';
  if (!['sandbox', 'insecure'].includes(security)) conv.fail(n, `invalid --security=${security}: expected sandbox or insecure`);
  if (n.heredocs.length > 0) conv.fail(n, 'RUN with heredocs is not supported yet by this frontend');
  const words = n.next.map((x) => x.value);
  if (words.length === 0) conv.fail(n, 'RUN requires at least one argument');
  const args = n.json ? words : [...st.shell, words.join(' ')];
  const inputs: Input[] = st.ref ? [st.ref] : [];
  const mounts: Mount[] = [{ input: st.ref ? 0 : -1, selector: '', dest: '/', output: 0, readonly: false, type: 'bind', cache: null, tmpfs: null, secret: null, ssh: null }];
  let env = st.env;
  const secretEnv: ExecOp['secretEnv'] = [];
  let sshCount = 0;
  for (const spec of flags.get('mount') ?? []) {
    const pm = parseMount(spec, st.cwd, sshCount, (m) => conv.fail(n, `--mount=${spec}: ${m}`));
    const m = pm.mount;
    if (pm.from === 'context') m.input = inputIndex(inputs, conv.context());
    else if (pm.from !== 'none') m.input = inputIndex(inputs, await mountSource(conv, st, n, pm.from.name));
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
      if (sshCount === 1 && !env.some((e) => e.startsWith('SSH_AUTH_SOCK='))) env = setEnv(env, 'SSH_AUTH_SOCK', m.dest);
    }
    if (pm.env) secretEnv.push(pm.env);
    if (m.type === 'secret' && m.dest === '') continue;
    mounts.push(m as Mount);
  }
  mounts.sort((a, b) => (a.dest < b.dest ? -1 : a.dest > b.dest ? 1 : 0));
  const exec: Partial<ExecOp> = {
    meta: { args, env, cwd: st.cwd, user: st.user, hostname: '', validExitCodes: [] },
    mounts,
    network: network === 'default' ? 'sandbox' : (network as 'none' | 'host'),
    security: security as 'sandbox' | 'insecure',
    secretEnv,
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
