// Instructions that change the image config and the RUN environment but add no
// files (WORKDIR adds a mkdir op, as in BuildKit). History strings follow
// BuildKit's dispatchers exactly: Go's %q / %v renderings included.
import path from 'node:path';
import type { ChownOpt, UserOpt } from '@pipekit/wire';
import type { Node } from '../parser/index.ts';
import { dispatchArg } from './args.ts';
import type { Conv } from './context.ts';
import { checkFlags } from './flags.ts';
import { goList, goQuoteList } from './go-format.ts';
import { parseHealthcheck } from './healthcheck.ts';
import { commandOf, displayText, type StepNamer } from './naming.ts';
import { parsePorts } from './ports.ts';
import { getEnv, setEnv, shellOf, type StageState } from './state.ts';

export function history(conv: Conv, st: StageState, createdBy: string, layer = false): void {
  st.config.history.push({ created: conv.opts.created, created_by: createdBy, comment: 'buildkit.dockerfile.v0', ...(layer ? {} : { empty_layer: true }) });
}

/** key/value pairs of ENV and LABEL, all expanded with the env before this instruction. */
function pairs(conv: Conv, st: StageState, n: Node): [string, string][] {
  const env = (k: string) => getEnv(st.env, k);
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < n.next.length; i += 3) out.push([conv.expand(n.next[i].value, env, n, st), conv.expand(n.next[i + 1].value, env, n, st)]);
  if (out.length === 0) conv.fail(n, `${n.value.toUpperCase()} requires at least one argument`, { hint: `write ${n.value.toUpperCase()} key=value` });
  for (const [k] of out) if (k === '') conv.fail(n, `${n.value.toUpperCase()} names cannot be empty`);
  return out;
}

/** `user[:group]` -> owner by name (looked up in input `input`'s /etc/passwd) or by id. */
export function ownerOf(spec: string, input: number): ChownOpt {
  // `root` is uid/gid 0 without a lookup, as BuildKit's llb.WithUser has it:
  // --chown=root:root works on a base with no /etc/passwd (scratch, --link)
  const one = (s: string): UserOpt => (s === 'root' ? { id: 0, name: '', input: -1 } : /^\d+$/.test(s) ? { id: Number(s), name: '', input: -1 } : { id: 0, name: s, input });
  const colon = spec.indexOf(':');
  const u = colon < 0 ? spec : spec.slice(0, colon);
  const g = colon < 0 ? '' : spec.slice(colon + 1);
  return { user: one(u), group: g !== '' ? one(g) : null };
}

function cmdLine(st: StageState, n: Node): string[] {
  const words = n.next.map((x) => x.value);
  return n.json ? words : words.length ? [...shellOf(st), words.join(' ')] : [];
}

function single(conv: Conv, n: Node, what: string): string {
  checkFlags(n.value, n.flags, {}, conv.failer(n));
  if (n.next.length !== 1 || n.next[0].value === '') conv.fail(n, `${what} requires exactly one argument`);
  return n.next[0].value;
}

const SIGNALS = ['ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF', 'PWR',
  'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ'];

function validSignal(s: string): boolean {
  if (/^\d+$/.test(s)) return Number(s) > 0 && Number(s) <= 64;
  const name = s.toUpperCase().replace(/^SIG/, '');
  return SIGNALS.includes(name) || /^RTM(IN|AX)([+-]\d+)?$/.test(name);
}

export function dispatchMeta(conv: Conv, st: StageState, n: Node, namer: StepNamer): void {
  const env = (k: string) => getEnv(st.env, k);
  const c = st.config.config;
  switch (n.value) {
    case 'env': {
      checkFlags('env', n.flags, {}, conv.failer(n));
      const kv = pairs(conv, st, n);
      for (const [k, v] of kv) {
        st.env = setEnv(st.env, k, v);
        c.Env = setEnv(c.Env ?? [], k, v);
      }
      return history(conv, st, `ENV ${kv.map(([k, v]) => `${k}=${v}`).join(' ')}`);
    }
    case 'label': {
      checkFlags('label', n.flags, {}, conv.failer(n));
      const kv = pairs(conv, st, n);
      c.Labels = { ...(c.Labels ?? {}) };
      for (const [k, v] of kv) c.Labels[k] = v;
      return history(conv, st, `LABEL ${kv.map(([k, v]) => `${k}=${v}`).join(' ')}`);
    }
    case 'arg':
      return dispatchArg(conv, st, n, (text) => history(conv, st, text));
    case 'workdir': {
      const raw = conv.expand(single(conv, n, 'WORKDIR'), env, n, st);
      if (raw === '') conv.fail(n, 'WORKDIR cannot be empty');
      const dir = path.posix.normalize(raw.startsWith('/') ? raw : path.posix.join('/', st.cwd, raw)).replace(/(.)\/$/, '$1');
      st.cwd = dir;
      c.WorkingDir = dir;
      if (dir === '/') return history(conv, st, `WORKDIR ${dir}`);
      const owner = c.User ? ownerOf(c.User, st.ref ? 0 : -1) : null;
      const ts = conv.opts.epoch ?? -1;
      st.ref = conv.graph.add(
        {
          inputs: st.ref ? [st.ref] : [],
          platform: st.platform,
          file: { actions: [{ input: st.ref ? 0 : -1, secondaryInput: -1, output: 0, mkdir: { path: dir, mode: 0o755, makeParents: true, owner, timestamp: ts } }] },
        },
        { name: namer.next(displayText(n, conv.lex, env)), stage: st.name, command: commandOf(n), locations: conv.location(n) },
      );
      return history(conv, st, `WORKDIR ${dir}`, true);
    }
    case 'user': {
      st.user = conv.expand(single(conv, n, 'USER'), env, n, st);
      c.User = st.user;
      return history(conv, st, `USER ${st.user}`);
    }
    case 'cmd': {
      checkFlags('cmd', n.flags, {}, conv.failer(n));
      const args = cmdLine(st, n);
      if (args.length) c.Cmd = args;
      else delete c.Cmd;
      c.ArgsEscaped = true;
      st.cmdSet = true;
      return history(conv, st, `CMD ${goQuoteList(args)}`);
    }
    case 'entrypoint': {
      checkFlags('entrypoint', n.flags, {}, conv.failer(n));
      const args = cmdLine(st, n);
      if (args.length) c.Entrypoint = args;
      else delete c.Entrypoint;
      if (!st.cmdSet) delete c.Cmd;
      return history(conv, st, `ENTRYPOINT ${goQuoteList(args)}`);
    }
    case 'expose': {
      checkFlags('expose', n.flags, {}, conv.failer(n));
      if (n.next.length === 0) conv.fail(n, 'EXPOSE requires at least one argument');
      const words = n.next.flatMap((w) => conv.expandWords(w.value, env, n, st));
      const ports = parsePorts(conv, n, words);
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const p of ports) c.ExposedPorts[p] = {};
      // Go prints a map with its keys sorted
      return history(conv, st, `EXPOSE map[${[...new Set(ports)].sort().map((p) => `${p}:{}`).join(' ')}]`);
    }
    case 'shell': {
      checkFlags('shell', n.flags, {}, conv.failer(n));
      if (!n.json) conv.fail(n, 'SHELL requires the arguments to be in JSON form', { hint: 'write SHELL ["executable", "parameters"]' });
      if (n.next.length === 0) conv.fail(n, 'SHELL requires at least one argument');
      c.Shell = n.next.map((x) => x.value);
      return history(conv, st, `SHELL ${goList(c.Shell)}`);
    }
    case 'volume': {
      checkFlags('volume', n.flags, {}, conv.failer(n));
      if (n.next.length === 0) conv.fail(n, 'VOLUME requires at least one argument');
      const vols = n.next.map((w) => conv.expand(w.value, env, n, st));
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of vols) {
        if (v.trim() === '') conv.fail(n, 'VOLUME specified can not be an empty string');
        c.Volumes[v] = {};
      }
      return history(conv, st, `VOLUME ${goList(vols)}`);
    }
    case 'stopsignal': {
      const sig = conv.expand(single(conv, n, 'STOPSIGNAL'), env, n, st);
      if (!validSignal(sig)) conv.fail(n, `Invalid signal: ${sig}`, { hint: 'use a signal name (SIGTERM, KILL) or number (9)' });
      c.StopSignal = sig;
      return history(conv, st, `STOPSIGNAL ${sig}`);
    }
    case 'maintainer': {
      st.config.author = single(conv, n, 'MAINTAINER');
      return history(conv, st, `MAINTAINER ${st.config.author}`);
    }
    case 'onbuild': {
      checkFlags('onbuild', n.flags, {}, conv.failer(n));
      const sub = n.sub;
      if (!sub) return conv.fail(n, 'ONBUILD requires at least one argument');
      if (sub.value === 'onbuild') conv.fail(n, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (sub.value === 'from' || sub.value === 'maintainer') conv.fail(n, `${sub.value.toUpperCase()} isn't allowed as an ONBUILD trigger`);
      c.OnBuild = [...(c.OnBuild ?? []), commandOf(n).replace(/^onbuild\s*/i, '').trim()];
      return;
    }
    case 'healthcheck': {
      const h = parseHealthcheck(conv, n);
      c.Healthcheck = h.config;
      return history(conv, st, h.history);
    }
    default:
      conv.fail(n, `unknown instruction: ${n.value.toUpperCase()}`);
  }
}
