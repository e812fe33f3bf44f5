// Output specs in buildx's CSV form (`-o type=oci,dest=out.tar,name=app`), with
// its shorthands (`-o DIR` is type=local, `-o -` a tar on stdout) and the
// per-type options BuildKit's exporters take. Unknown options are refused with
// the list of known ones rather than ignored.
import { UsageError } from '@pipekit/wire';
import { isAnnotationKey, parseAnnotationOption, type Annotation } from './annotations.ts';
import { LEVELS } from './compress.ts';
import type { LayerCompression } from './decompress.ts';

export type OutputType = 'oci' | 'docker' | 'tar' | 'local' | 'image';
export type OutputSpec = {
  type: OutputType;
  /** file, directory or '-' (stdout) */
  dest: string;
  /** oci/docker: a tarball (true) or an OCI layout directory (false) */
  tar: boolean;
  /** image names, comma-separated as BuildKit's name= */
  name: string;
  push: boolean;
  pushByDigest: boolean;
  insecure: boolean;
  compression: LayerCompression;
  level?: number;
  force: boolean;
  ociTypes: boolean;
  /** clamp timestamps of layers built here to SOURCE_DATE_EPOCH (default: whenever it is set) */
  rewriteTimestamp: boolean;
  annotations: Annotation[];
  /** local/tar: one sub-directory per platform (default: when there are several) */
  platformSplit?: boolean;
  /** local: copy into dest (default) or replace it */
  mode: 'copy' | 'delete';
};

const IMAGE_KEYS = ['name', 'compression', 'compression-level', 'force-compression', 'oci-mediatypes', 'rewrite-timestamp'];
const KEYS: Record<OutputType, string[]> = {
  oci: ['dest', 'tar', ...IMAGE_KEYS],
  docker: ['dest', 'tar', ...IMAGE_KEYS],
  image: ['push', 'push-by-digest', 'insecure', 'registry.insecure', ...IMAGE_KEYS],
  tar: ['dest', 'platform-split'],
  local: ['dest', 'platform-split', 'mode'],
};

/** An output of `type` with every option at its default (no dest). */
export function defaultOutput(type: OutputType): OutputSpec {
  return { type, dest: '', tar: true, name: '', push: false, pushByDigest: false, insecure: false, compression: 'gzip', force: false, ociTypes: true, rewriteTimestamp: true, annotations: [], mode: 'copy' };
}

/** Split one CSV record; a field may be double-quoted (with "" for a quote) to hold commas. */
export function splitCsv(spec: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= spec.length) {
    let field = '';
    if (spec[i] === '"') {
      i++;
      for (;;) {
        if (i >= spec.length) throw new UsageError(`invalid output ${JSON.stringify(spec)}: unterminated quote`);
        if (spec[i] === '"' && spec[i + 1] === '"') (field += '"'), (i += 2);
        else if (spec[i] === '"') break;
        else field += spec[i++];
      }
      i++;
      if (i < spec.length && spec[i] !== ',') throw new UsageError(`invalid output ${JSON.stringify(spec)}: text after a closing quote`);
    } else {
      while (i < spec.length && spec[i] !== ',') field += spec[i++];
    }
    fields.push(field);
    i++;
  }
  return fields;
}

/** Parse `-o SPEC`; `defaults` (from flags) fill options the spec does not set, where they apply to its type. */
export function parseOutput(spec: string, defaults: [string, string][] = []): OutputSpec {
  const given: [string, string][] = [];
  if (!spec.includes('=')) {
    given.push(['type', spec === '-' ? 'tar' : 'local'], ['dest', spec]);
  } else {
    for (const field of splitCsv(spec)) {
      const eq = field.indexOf('=');
      if (eq <= 0) throw new UsageError(`invalid output ${JSON.stringify(spec)}: ${JSON.stringify(field)} is not key=value (e.g. type=oci,dest=out.tar)`);
      given.push([field.slice(0, eq).trim().toLowerCase(), field.slice(eq + 1)]);
    }
  }
  const rawType = given.find(([k]) => k === 'type')?.[1] ?? (given.some(([k]) => k === 'dest') ? 'local' : '');
  if (!rawType) throw new UsageError(`output ${JSON.stringify(spec)} has no type= (oci, docker, tar, local, image, registry)`);
  const registry = rawType === 'registry';
  const type = (registry ? 'image' : rawType) as OutputType;
  if (!(type in KEYS)) throw new UsageError(`unknown output type ${JSON.stringify(rawType)}: expected oci, docker, tar, local, image or registry`);
  const known = new Set(KEYS[type]);
  const imageType = type === 'oci' || type === 'docker' || type === 'image';
  const opts = new Map<string, string>();
  const annotations: Annotation[] = [];
  const setKeys = new Set(given.map(([k]) => k));
  for (const [k, v] of defaults) if (!setKeys.has(k) && (known.has(k) || (imageType && isAnnotationKey(k)))) opts.set(k, v);
  for (const [k, v] of given) {
    if (k === 'type') continue;
    if (imageType && isAnnotationKey(k)) continue;
    if (!known.has(k)) throw new UsageError(`unknown option ${JSON.stringify(k)} for type=${rawType} (known: ${[...known, ...(imageType ? ['annotation.KEY'] : [])].join(', ')})`);
    opts.set(k, v);
  }
  for (const [k, v] of [...defaults.filter(([k]) => isAnnotationKey(k)), ...given.filter(([k]) => isAnnotationKey(k))]) {
    if (imageType) annotations.push(parseAnnotationOption(k, v));
  }

  const bool = (key: string, dflt: boolean) => parseBool(opts.get(key), key, dflt);
  const compression = (opts.get('compression') ?? 'gzip') as LayerCompression;
  if (!['gzip', 'zstd', 'uncompressed'].includes(compression)) throw new UsageError(`invalid compression ${JSON.stringify(compression)}: expected gzip, zstd or uncompressed`);
  const out: OutputSpec = {
    type,
    dest: opts.get('dest') ?? '',
    tar: bool('tar', true),
    name: opts.get('name') ?? '',
    push: registry || bool('push', false),
    pushByDigest: bool('push-by-digest', false),
    insecure: bool('insecure', false) || bool('registry.insecure', false),
    compression,
    level: parseLevel(opts.get('compression-level'), compression),
    force: bool('force-compression', false),
    ociTypes: bool('oci-mediatypes', true),
    rewriteTimestamp: bool('rewrite-timestamp', true),
    annotations,
    platformSplit: opts.has('platform-split') ? bool('platform-split', true) : undefined,
    mode: (opts.get('mode') ?? 'copy') as 'copy' | 'delete',
  };
  check(out, rawType);
  return out;
}

function check(o: OutputSpec, rawType: string): void {
  if (o.mode !== 'copy' && o.mode !== 'delete') throw new UsageError(`invalid mode ${JSON.stringify(o.mode)} for type=local: expected copy or delete`);
  if (o.type !== 'image' && !o.dest) {
    const hint = o.type === 'docker' ? ' (there is no docker engine to load into: write a file, or dest=- | docker load)' : '';
    throw new UsageError(`type=${rawType} needs dest=${o.type === 'local' ? 'DIR' : 'FILE'}${hint}`);
  }
  if (o.type === 'local' && o.dest === '-') throw new UsageError('type=local writes a directory: dest=- is only for tarballs (use type=tar)');
  if (!o.tar && o.dest === '-') throw new UsageError(`type=${rawType},tar=false writes a directory: it cannot go to stdout`);
  if (o.type === 'image' && o.push && !o.name) throw new UsageError(`type=${rawType} needs name=REGISTRY/REPO[:TAG] to push to`);
}

function parseBool(v: string | undefined, key: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (['', '1', 't', 'true'].includes(v.toLowerCase())) return true;
  if (['0', 'f', 'false'].includes(v.toLowerCase())) return false;
  throw new UsageError(`invalid ${key}=${v}: expected true or false`);
}

function parseLevel(v: string | undefined, compression: LayerCompression): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (compression === 'uncompressed') return undefined;
  const r = LEVELS[compression];
  if (!Number.isInteger(n) || n < r.min || n > r.max) throw new UsageError(`invalid compression-level=${v}: ${compression} takes ${r.min}-${r.max}`);
  return n;
}
