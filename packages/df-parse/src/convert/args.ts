// ARG scoping as BuildKit does it: the automatic platform args and the args
// before the first FROM form the global scope (seen by FROM lines only); a stage
// sees an ARG once it declares it, taking the --build-arg value, else its own
// default, else the global value. Values join the RUN environment (and so the
// cache key) but never the image's Env.
import { formatPlatform, type Platform } from '@pipekit/wire';
import type { Node } from '../parser/index.ts';
import type { Conv } from './context.ts';
import { checkFlags } from './flags.ts';
import { getEnv, setEnv, type StageState } from './state.ts';

/** Build args that never become environment variables. */
const NON_ENV = new Set(['BUILDKIT_SBOM_SCAN_CONTEXT', 'BUILDKIT_SBOM_SCAN_STAGE']);

export function platformArgs(prefix: 'BUILD' | 'TARGET', p: Platform): [string, string][] {
  return [
    [`${prefix}PLATFORM`, formatPlatform(p)],
    [`${prefix}OS`, p.os],
    [`${prefix}ARCH`, p.architecture],
    [`${prefix}VARIANT`, p.architecture === 'arm64' && p.variant === 'v8' ? '' : p.variant],
  ];
}

/** ARG word -> key and optional raw default. */
export function splitArg(conv: Conv, n: Node, word: string): { key: string; value: string | undefined } {
  const eq = word.indexOf('=');
  const key = eq < 0 ? word : word.slice(0, eq);
  if (key === '') conv.fail(n, `ARG requires a name: ${JSON.stringify(word)}`, { hint: 'write ARG NAME or ARG NAME=default' });
  return { key, value: eq < 0 ? undefined : word.slice(eq + 1) };
}

/** Seed the global scope and evaluate the ARGs before the first FROM. */
export function evalGlobalArgs(conv: Conv, nodes: Node[], buildPlatform: Platform): void {
  const g = conv.globalArgs;
  for (const [k, v] of [...platformArgs('BUILD', buildPlatform), ...platformArgs('TARGET', conv.platform)]) {
    g.set(k, conv.opts.buildArgs.get(k) ?? v);
  }
  for (const n of nodes) {
    checkFlags('arg', n.flags, {}, conv.failer(n));
    if (n.next.length === 0) conv.fail(n, 'ARG requires at least one argument');
    for (const w of n.next) {
      const { key, value } = splitArg(conv, n, w.value);
      let v = value === undefined ? undefined : conv.expand(value, (k) => g.get(k), n);
      if (conv.opts.buildArgs.has(key)) {
        v = conv.opts.buildArgs.get(key);
        conv.usedArgs.add(key);
      }
      g.set(key, v);
    }
  }
}

/** ARG inside a stage: one history entry for the whole instruction. */
export function dispatchArg(conv: Conv, st: StageState, n: Node, history: (text: string) => void): void {
  checkFlags('arg', n.flags, {}, conv.failer(n));
  if (n.next.length === 0) conv.fail(n, 'ARG requires at least one argument');
  const parts: string[] = [];
  for (const w of n.next) {
    const { key, value: raw } = splitArg(conv, n, w.value);
    let value: string | undefined;
    if (conv.opts.buildArgs.has(key)) {
      value = conv.opts.buildArgs.get(key);
      conv.usedArgs.add(key);
    } else if (raw !== undefined) value = conv.expand(raw, (k) => getEnv(st.env, k), n, st);
    else value = conv.globalArgs.get(key);
    if (value !== undefined && !NON_ENV.has(key)) st.env = setEnv(st.env, key, value);
    st.args.push({ key, value });
    parts.push(value === undefined ? key : `${key}=${value}`);
  }
  history(`ARG ${parts.join(' ')}`);
}

/** `RUN |N K=V ... args` as BuildKit's runCommandString writes it: every ARG the stage declared, in order. */
export function runHistory(st: StageState, args: string[]): string {
  const vals = st.args.map((a) => `${a.key}=${getEnv(st.env, a.key) ?? a.value ?? ''}`);
  return [...(vals.length ? [`|${vals.length}`, ...vals] : []), ...args].join(' ');
}
