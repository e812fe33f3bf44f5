// --cache-to / --cache-from values, as buildx writes them:
//   type=local,dest=DIR[,tag=T][,mode=min|max][,cache-mounts=true]
//   type=registry,ref=REF[,mode=max][,cache-mounts=true]
//   type=inline
//   type=local,src=DIR[,tag=T]   type=registry,ref=REF   REF (registry shorthand)
// plus ignore-error=true on either side.
import { UsageError } from '@pipekit/wire';

export type CacheSpec = {
  type: 'local' | 'registry' | 'inline';
  /** local: the directory (dest= for export, src= for import) */
  dir?: string;
  ref?: string;
  tag: string;
  mode: 'min' | 'max';
  cacheMounts: boolean;
  ignoreError: boolean;
};

const BOOL = (v: string, what: string) => {
  if (v === 'true' || v === '1' || v === '') return true;
  if (v === 'false' || v === '0') return false;
  throw new UsageError(`${what}: expected true or false, got ${JSON.stringify(v)}`);
};

export function parseCacheSpec(text: string, dir: 'to' | 'from'): CacheSpec {
  const flag = `--cache-${dir} ${text}`;
  if (!text.includes('=')) return { type: 'registry', ref: text, tag: 'latest', mode: 'min', cacheMounts: false, ignoreError: false };
  const kv = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    kv.set((eq < 0 ? part : part.slice(0, eq)).trim(), eq < 0 ? '' : part.slice(eq + 1).trim());
  }
  const type = kv.get('type') ?? 'local';
  if (type !== 'local' && type !== 'registry' && type !== 'inline') {
    throw new UsageError(`${flag}: unsupported cache type ${JSON.stringify(type)} (local, registry, inline)`);
  }
  const mode = kv.get('mode') ?? 'min';
  if (mode !== 'min' && mode !== 'max') throw new UsageError(`${flag}: mode must be min or max`);
  if (type === 'inline' && mode === 'max') throw new UsageError(`${flag}: inline cache supports only mode=min (use type=registry,mode=max)`);
  if (type === 'inline' && dir === 'from') throw new UsageError(`${flag}: import inline cache with type=registry,ref=IMAGE`);
  const spec: CacheSpec = {
    type,
    tag: kv.get('tag') || 'latest',
    mode,
    cacheMounts: BOOL(kv.get('cache-mounts') ?? 'false', `${flag}: cache-mounts`),
    ignoreError: BOOL(kv.get('ignore-error') ?? 'false', `${flag}: ignore-error`),
  };
  if (type === 'local') {
    spec.dir = dir === 'to' ? kv.get('dest') : kv.get('src');
    if (!spec.dir) throw new UsageError(`${flag}: type=local needs ${dir === 'to' ? 'dest' : 'src'}=DIR`);
  }
  if (type === 'registry') {
    spec.ref = kv.get('ref');
    if (!spec.ref) throw new UsageError(`${flag}: type=registry needs ref=REF`);
  }
  return spec;
}
