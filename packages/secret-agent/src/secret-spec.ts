// `--secret id=ID[,src=PATH|,env=VAR][,type=file|env][,cache=content]` parsed
// and loaded the way buildctl/buildx do: with neither src nor env, an env var
// named like the id wins, else a file named like the id; at most 500 KB.
import { promises as fs } from 'node:fs';
import { NotFoundError, UsageError } from '@pipekit/wire';

/** BuildKit's MaxSecretSize. */
export const MAX_SECRET_SIZE = 500 * 1024;

export type SecretSpec = {
  id: string;
  /** where the value comes from */
  from: { file: string } | { env: string };
  /** the secret's content takes part in cache keys (as a salted hash) */
  cacheContent: boolean;
};

export type LoadedSecret = { id: string; value: Buffer; cacheContent: boolean };

const KEYS = new Set(['id', 'type', 'src', 'source', 'env', 'cache']);
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Parse one --secret value; `env` decides buildx's auto-detection. Throws UsageError. */
export function parseSecretSpec(spec: string, env: Record<string, string | undefined>): SecretSpec {
  const bad = (why: string): never => {
    throw new UsageError(`invalid --secret ${JSON.stringify(spec)}: ${why}`);
  };
  const f = new Map<string, string>();
  for (const part of spec.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) bad(`expected key=value, got ${JSON.stringify(part)}`);
    const key = part.slice(0, eq).trim().toLowerCase();
    if (!KEYS.has(key)) bad(`unknown key ${JSON.stringify(key)} (known: id, src, env, type, cache)`);
    if (f.has(key === 'source' ? 'src' : key)) bad(`${key} given twice`);
    f.set(key === 'source' ? 'src' : key, part.slice(eq + 1));
  }
  const id = f.get('id') ?? '';
  if (!id) bad('id is required (id=NAME)');
  if (!ID_PATTERN.test(id)) bad(`id ${JSON.stringify(id)} may only hold letters, digits, '.', '_' and '-'`);
  const type = f.get('type');
  if (type !== undefined && type !== 'file' && type !== 'env') bad(`type must be file or env, got ${JSON.stringify(type)}`);
  const cache = f.get('cache');
  if (cache !== undefined && cache !== 'content' && cache !== 'none') bad(`cache must be content or none, got ${JSON.stringify(cache)}`);
  let src = f.get('src');
  let envName = f.get('env');
  if (src !== undefined && envName !== undefined) bad('use either src or env, not both');
  if (src === '' || envName === '') bad('src and env need a value');
  // buildctl: with type=env, src names the variable
  if (type === 'env' && src !== undefined) [envName, src] = [src, undefined];
  if (type === 'file' && envName !== undefined) bad('type=file reads a file: use src=PATH, not env=');
  let from: SecretSpec['from'];
  if (envName !== undefined) from = { env: envName };
  else if (src !== undefined) from = { file: src };
  else if (type === 'env') from = { env: id };
  else if (type === 'file') from = { file: id };
  else from = env[id] !== undefined ? { env: id } : { file: id };
  return { id, from, cacheContent: cache === 'content' };
}

function sizeError(spec: SecretSpec, size: number): UsageError {
  const kb = (n: number) => `${Math.ceil(n / 1024)} KB`;
  return new UsageError(
    `secret ${JSON.stringify(spec.id)} is ${kb(size)}, over the ${kb(MAX_SECRET_SIZE)} limit for build secrets ` +
      '(BuildKit\'s too): mount a smaller credential and fetch the rest inside the step',
  );
}

/** Read the value now (never later), checking existence and size. */
export async function loadSecret(spec: SecretSpec, env: Record<string, string | undefined>): Promise<LoadedSecret> {
  let value: Buffer;
  if ('env' in spec.from) {
    const v = env[spec.from.env];
    if (v === undefined) {
      throw new NotFoundError(`secret ${JSON.stringify(spec.id)}: environment variable ${spec.from.env} is not set`);
    }
    value = Buffer.from(v, 'utf8');
  } else {
    const file = spec.from.file;
    const st = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
      throw new NotFoundError(`secret ${JSON.stringify(spec.id)}: cannot read ${file}: ${reason(err)}`, { cause: err });
    });
    if (!st.isFile()) throw new NotFoundError(`secret ${JSON.stringify(spec.id)}: ${file} is not a regular file`);
    if (st.size > MAX_SECRET_SIZE) throw sizeError(spec, st.size);
    value = await fs.readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new NotFoundError(`secret ${JSON.stringify(spec.id)}: cannot read ${file}: ${reason(err)}`, { cause: err });
    });
  }
  if (value.length > MAX_SECRET_SIZE) throw sizeError(spec, value.length);
  return { id: spec.id, value, cacheContent: spec.cacheContent };
}

export function reason(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  if (err.code === 'EISDIR') return 'is a directory';
  return err.code ?? err.message;
}
