// RUN --mount=type=bind|cache|tmpfs|secret|ssh,... parsed with BuildKit's
// defaults into exec-op mounts (and secret env entries).
import path from 'node:path';
import type { Input, Mount } from '@pipekit/wire';

export type ParsedMount = {
  mount: Omit<Mount, 'input'> & { input: number };
  /** where the input comes from: 'context', a stage/image name (from=), or none */
  from: 'context' | 'none' | { name: string };
  /** secret exposed as an env var instead of (or besides) a file */
  env?: { id: string; name: string; optional: boolean };
  /** cache mount with mode/uid/gid: its first contents come from a prepared dir */
  cacheDir?: { mode: number; uid: number; gid: number };
};

const KEYS = new Set(['type', 'from', 'source', 'src', 'target', 'dst', 'destination', 'ro', 'readonly', 'rw', 'readwrite',
  'id', 'sharing', 'required', 'size', 'mode', 'uid', 'gid', 'env']);

function bool(v: string | undefined, key: string, fail: (m: string) => never): boolean {
  if (v === undefined || v === '' || v === 'true') return true;
  if (v === 'false') return false;
  return fail(`invalid value for ${key}: ${v}`);
}

/** Parse one --mount value; `cwd` resolves relative targets; `sshIndex` numbers default ssh targets. */
export function parseMount(spec: string, cwd: string, sshIndex: number, fail: (m: string) => never): ParsedMount {
  const fields = new Map<string, string | undefined>();
  for (const part of spec.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!KEYS.has(key)) fail(`unexpected key '${key}' in '${part}'`);
    fields.set(key, eq < 0 ? undefined : part.slice(eq + 1));
  }
  const type = fields.get('type') ?? 'bind';
  if (!['bind', 'cache', 'tmpfs', 'secret', 'ssh'].includes(type)) fail(`unsupported mount type "${type}"`);
  const get = (...names: string[]) => names.map((n) => fields.get(n)).find((v) => v !== undefined);
  let target = get('target', 'dst', 'destination');
  const source = get('source', 'src');
  const from = fields.get('from');
  const id = fields.get('id');
  const num = (k: string, octal = false): number | undefined => {
    const v = fields.get(k);
    if (v === undefined) return undefined;
    const n = octal ? parseInt(v, 8) : Number(v);
    if (!Number.isInteger(n) || n < 0 || (octal && !/^[0-7]+$/.test(v))) fail(`invalid value for ${k}: ${v}`);
    return n;
  };
  if ((fields.has('mode') || fields.has('uid') || fields.has('gid')) && !['secret', 'ssh', 'cache'].includes(type)) {
    fail(`mode/uid/gid are only valid for secret, ssh and cache mounts`);
  }
  if (fields.has('sharing') && type !== 'cache') fail('sharing is only valid for cache mounts');
  if (fields.has('size') && type !== 'tmpfs') fail('size is only valid for tmpfs mounts');
  if (fields.has('env') && type !== 'secret') fail('env is only valid for secret mounts');
  let readonly = type === 'bind' || type === 'secret' || type === 'ssh';
  if (get('ro', 'readonly') !== undefined || fields.has('ro') || fields.has('readonly')) readonly = bool(get('ro', 'readonly'), 'readonly', fail);
  if (fields.has('rw') || fields.has('readwrite')) readonly = !bool(get('rw', 'readwrite'), 'readwrite', fail);
  const required = fields.has('required') ? bool(fields.get('required'), 'required', fail) : false;
  const base = { selector: '', output: -1, readonly, cache: null, tmpfs: null, secret: null, ssh: null, input: -1 };

  if (type === 'secret') {
    if (id !== undefined && source !== undefined) fail('secret mount: use either id or source, not both');
    const sid = id ?? source ?? (target ? path.posix.basename(target) : '');
    if (!sid) fail('secret mount requires an id or a target');
    const envName = fields.get('env');
    if (!target && !envName) target = `/run/secrets/${path.posix.basename(sid)}`;
    const opt = { id: sid, uid: num('uid') ?? 0, gid: num('gid') ?? 0, mode: num('mode', true) ?? 0o400, optional: !required };
    const parsed: ParsedMount = { mount: { ...base, dest: abs(target ?? '', cwd), type: 'secret', secret: opt }, from: 'none' };
    if (envName) parsed.env = { id: sid, name: envName, optional: !required };
    return parsed;
  }
  if (type === 'ssh') {
    if (source !== undefined) fail('ssh mount does not take a source');
    const opt = { id: id ?? 'default', uid: num('uid') ?? 0, gid: num('gid') ?? 0, mode: num('mode', true) ?? 0o600, optional: !required };
    return { mount: { ...base, dest: abs(target ?? `/run/buildkit/ssh_agent.${sshIndex}`, cwd), type: 'ssh', ssh: opt }, from: 'none' };
  }
  // no target: BuildKit joins the empty target to the working directory
  const dest = abs(target ?? '', cwd);
  if (dest === '/') fail(target ? 'mount target "/" is not allowed' : 'mount needs a target (the working directory is "/")');
  if (type === 'tmpfs') {
    return { mount: { ...base, dest, type: 'tmpfs', readonly: false, tmpfs: { size: num('size') ?? 0 } }, from: 'none' };
  }
  if (type === 'cache') {
    const sharing = fields.get('sharing') ?? 'shared';
    if (!['shared', 'private', 'locked'].includes(sharing)) fail(`unsupported sharing value "${sharing}"`);
    const cacheId = id || path.posix.normalize(dest);
    const mode = num('mode', true);
    const uid = num('uid');
    const gid = num('gid');
    const mount = { ...base, dest, type: 'cache' as const, cache: { id: cacheId, sharing: sharing as 'shared' }, selector: source ? path.posix.join('/', source) : '' };
    const parsed: ParsedMount = { mount, from: from ? { name: from } : 'none' };
    // mode/uid/gid shape the cache dir when it is first created
    if (mode !== undefined || uid !== undefined || gid !== undefined) parsed.cacheDir = { mode: mode ?? 0o755, uid: uid ?? 0, gid: gid ?? 0 };
    return parsed;
  }
  return {
    mount: { ...base, dest, type: 'bind', selector: path.posix.join('/', source ?? '/') === '/' ? '' : path.posix.join('/', source ?? '') },
    from: from ? { name: from } : 'context',
  };
}

function abs(p: string, cwd: string): string {
  return p.startsWith('/') ? path.posix.normalize(p) : path.posix.join(cwd, p);
}

/** Add an input (deduplicated) and return its index. */
export function inputIndex(inputs: Input[], inp: Input): number {
  const i = inputs.findIndex((x) => x.digest === inp.digest && x.index === inp.index);
  if (i >= 0) return i;
  inputs.push(inp);
  return inputs.length - 1;
}
