// Instructions that change the image config and the RUN environment but add no
// filesystem change (WORKDIR adds a mkdir op, as in BuildKit).
import path from 'node:path';
import type { Node } from '../parser/index.ts';
import type { Conv } from './context.ts';
import { parseFlags, flag } from './flags.ts';
import { commandText, type StepNamer } from './naming.ts';
import { getEnv, setEnv, type StageState } from './state.ts';

function history(conv: Conv, st: StageState, createdBy: string, empty = true): void {
  st.config.history.push({ created: conv.opts.created, created_by: createdBy, comment: 'buildkit.dockerfile.v0', ...(empty ? { empty_layer: true } : {}) });
}

function noFlags(conv: Conv, n: Node): void {
  parseFlags(n.flags, [], (m) => conv.fail(n, m));
}

/** key/value/separator triples of ENV and LABEL, expanded with the env before this instruction. */
function pairs(conv: Conv, st: StageState, n: Node): [string, string][] {
  const env = (k: string) => getEnv(st.env, k);
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < n.next.length; i += 3) {
    out.push([conv.expand(n.next[i].value, env, n), conv.expand(n.next[i + 1].value, env, n)]);
  }
  if (out.length === 0) conv.fail(n, `${n.value.toUpperCase()} requires at least one argument`);
  return out;
}

const cmdLine = (conv: Conv, st: StageState, n: Node): string[] => {
  const words = n.next.map((x) => x.value);
  return n.json ? words : words.length ? [...st.shell, words.join(' ')] : [];
};

export function dispatchMeta(conv: Conv, st: StageState, n: Node, namer: StepNamer): void {
  const env = (k: string) => getEnv(st.env, k);
  const c = st.config.config;
  switch (n.value) {
    case 'env': {
      noFlags(conv, n);
      const kv = pairs(conv, st, n);
      for (const [k, v] of kv) {
        st.env = setEnv(st.env, k, v);
        c.Env = setEnv(c.Env ?? [], k, v);
      }
      history(conv, st, `ENV ${kv.map(([k, v]) => `${k}=${v}`).join(' ')}`);
      return;
    }
    case 'label': {
      noFlags(conv, n);
      const kv = pairs(conv, st, n);
      c.Labels = { ...(c.Labels ?? {}) };
      for (const [k, v] of kv) c.Labels[k] = v;
      history(conv, st, `LABEL ${kv.map(([k, v]) => `${k}=${v}`).join(' ')}`);
      return;
    }
    case 'arg': {
      noFlags(conv, n);
      for (const w of n.next) {
        const eq = w.value.indexOf('=');
        const name = eq < 0 ? w.value : w.value.slice(0, eq);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) conv.fail(n, `invalid ARG name ${JSON.stringify(name)}`);
        let value: string | undefined;
        if (conv.opts.buildArgs.has(name)) {
          value = conv.opts.buildArgs.get(name);
          conv.usedArgs.add(name);
        } else if (eq >= 0) value = conv.expand(w.value.slice(eq + 1), env, n);
        else value = conv.globalArgs.get(name);
        st.args.set(name, value);
        if (value !== undefined) st.env = setEnv(st.env, name, value);
        history(conv, st, `ARG ${value === undefined ? name : `${name}=${value}`}`);
      }
      return;
    }
    case 'workdir': {
      noFlags(conv, n);
      if (n.next.length !== 1) conv.fail(n, 'WORKDIR requires exactly one argument');
      const dir = path.posix.resolve(st.cwd, conv.expand(n.next[0].value, env, n));
      st.cwd = dir;
      c.WorkingDir = dir;
      const text = commandText(n);
      if (dir !== '/') {
        const owner = st.user && st.ref ? { user: { id: 0, name: st.user.split(':')[0], input: 0 }, group: null } : null;
        st.ref = conv.graph.add(
          {
            inputs: st.ref ? [st.ref] : [],
            platform: null,
            file: { actions: [{ input: st.ref ? 0 : -1, secondaryInput: -1, output: 0, mkdir: { path: dir, mode: 0o755, makeParents: true, owner, timestamp: -1 } }] },
          },
          { name: namer.next(text), stage: st.name, command: text, locations: conv.location(n) },
        );
      } else namer.next(text);
      history(conv, st, `WORKDIR ${dir}`, dir === '/');
      return;
    }
    case 'user': {
      noFlags(conv, n);
      if (n.next.length !== 1) conv.fail(n, 'USER requires exactly one argument');
      st.user = conv.expand(n.next[0].value, env, n);
      c.User = st.user;
      history(conv, st, `USER ${st.user}`);
      return;
    }
    case 'cmd': {
      noFlags(conv, n);
      c.Cmd = cmdLine(conv, st, n);
      c.ArgsEscaped = true;
      st.cmdSet = true;
      history(conv, st, `CMD ${JSON.stringify(c.Cmd)}`);
      return;
    }
    case 'entrypoint': {
      noFlags(conv, n);
      c.Entrypoint = cmdLine(conv, st, n);
      if (!st.cmdSet) c.Cmd = null;
      history(conv, st, `ENTRYPOINT ${JSON.stringify(c.Entrypoint)}`);
      return;
    }
    case 'expose': {
      noFlags(conv, n);
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      const ports: string[] = [];
      for (const w of n.next) {
        const v = conv.expand(w.value, env, n);
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(v);
        if (!m) conv.fail(n, `invalid port ${JSON.stringify(v)}: expected PORT[-PORT][/tcp|udp|sctp]`);
        const proto = (m[3] ?? 'tcp').toLowerCase();
        for (let p = Number(m[1]); p <= Number(m[2] ?? m[1]); p++) {
          c.ExposedPorts[`${p}/${proto}`] = {};
          ports.push(`${p}/${proto}`);
        }
      }
      history(conv, st, `EXPOSE map[${ports.map((p) => `${p}:{}`).join(' ')}]`);
      return;
    }
    case 'shell': {
      noFlags(conv, n);
      if (!n.json) conv.fail(n, 'SHELL requires the arguments to be in JSON form');
      st.shell = n.next.map((x) => x.value);
      c.Shell = st.shell;
      history(conv, st, `SHELL ${JSON.stringify(st.shell)}`);
      return;
    }
    case 'volume': {
      noFlags(conv, n);
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const w of n.next) {
        const v = conv.expand(w.value, env, n);
        if (v === '') conv.fail(n, 'VOLUME specified can not be an empty string');
        c.Volumes[v] = {};
      }
      history(conv, st, `VOLUME ${JSON.stringify(Object.keys(c.Volumes))}`);
      return;
    }
    case 'stopsignal': {
      noFlags(conv, n);
      c.StopSignal = conv.expand(n.next[0]?.value ?? '', env, n);
      history(conv, st, `STOPSIGNAL ${c.StopSignal}`);
      return;
    }
    case 'maintainer': {
      st.config.author = n.next[0]?.value ?? '';
      history(conv, st, `MAINTAINER ${st.config.author}`);
      return;
    }
    case 'onbuild': {
      const text = n.original.replace(/^\s*onbuild\s+/i, '');
      c.OnBuild = [...(c.OnBuild ?? []), text];
      history(conv, st, `ONBUILD ${text}`);
      return;
    }
    case 'healthcheck': {
      const flags = parseFlags(n.flags, ['interval', 'timeout', 'start-period', 'start-interval', 'retries'], (m) => conv.fail(n, m));
      const words = n.next.map((x) => x.value);
      const kind = (words[0] ?? '').toUpperCase();
      if (kind === 'NONE') c.Healthcheck = { Test: ['NONE'] };
      else if (kind === 'CMD') {
        const rest = words.slice(1);
        const test = n.json ? ['CMD', ...rest] : ['CMD-SHELL', rest.join(' ')];
        const hc: Record<string, unknown> = { Test: test };
        const dur = (name: string, key: string) => {
          const v = flag(flags, name);
          if (v) hc[key] = parseDuration(conv, n, v);
        };
        dur('interval', 'Interval');
        dur('timeout', 'Timeout');
        dur('start-period', 'StartPeriod');
        dur('start-interval', 'StartInterval');
        const r = flag(flags, 'retries');
        if (r) hc.Retries = Number(r);
        c.Healthcheck = hc;
      } else conv.fail(n, 'HEALTHCHECK must be followed by CMD or NONE');
      history(conv, st, `HEALTHCHECK ${JSON.stringify(c.Healthcheck)}`);
      return;
    }
    default:
      conv.fail(n, `unknown instruction: ${n.value.toUpperCase()}`);
  }
}

function parseDuration(conv: Conv, n: Node, v: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/gy;
  let m: RegExpExecArray | null;
  let used = 0;
  while ((m = re.exec(v))) {
    total += Number(m[1]) * units[m[2]];
    used = re.lastIndex;
  }
  if (used !== v.length || v === '') conv.fail(n, `invalid duration ${JSON.stringify(v)}`);
  return Math.round(total);
}
