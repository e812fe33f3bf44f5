// `--build-context name=VALUE`: a directory, `docker-image://REF` or
// `oci-layout://DIR[:tag]`, standing in for the stage or image called `name`.
// Image names are compared in their short form, as BuildKit's dockerui does
// (`docker.io/library/alpine:latest` and `alpine` are the same name).
import { UsageError } from '@pipekit/wire';
import path from 'node:path';
import type { NamedContext } from './context.ts';

export function parseNamedContexts(list: string[], cwd: string): Map<string, NamedContext> {
  const out = new Map<string, NamedContext>();
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) throw new UsageError(`invalid --build-context ${JSON.stringify(item)}: expected NAME=DIR, NAME=docker-image://REF or NAME=oci-layout://DIR[:tag]`);
    const name = shortName(item.slice(0, eq));
    const value = item.slice(eq + 1);
    if (value.startsWith('docker-image://')) out.set(name, { kind: 'image', ref: value.slice('docker-image://'.length) });
    else if (value.startsWith('oci-layout://')) out.set(name, { kind: 'image', ref: `oci-layout://${path.resolve(cwd, value.slice('oci-layout://'.length))}` });
    else if (/^[a-z][a-z0-9+.-]*:\/\//.test(value)) throw new UsageError(`--build-context ${name}: unsupported source ${JSON.stringify(value)} (use a directory, docker-image:// or oci-layout://)`);
    else out.set(name, { kind: 'local', dir: path.resolve(cwd, value) });
  }
  return out;
}

/** `docker.io/library/alpine:latest` -> `alpine`; stage names are already short. */
export function shortName(name: string): string {
  let n = name.toLowerCase();
  if (n.startsWith('docker.io/')) n = n.slice('docker.io/'.length);
  if (n.startsWith('index.docker.io/')) n = n.slice('index.docker.io/'.length);
  if (n.startsWith('library/')) n = n.slice('library/'.length);
  if (n.endsWith(':latest') && !n.includes('@')) n = n.slice(0, -':latest'.length);
  return n;
}

export function lookupNamedContext(all: Map<string, NamedContext> | undefined, name: string): { name: string; ctx: NamedContext } | undefined {
  if (!all || all.size === 0) return undefined;
  const lower = name.toLowerCase();
  if (lower === 'scratch' || lower === 'context') return undefined;
  const key = shortName(name);
  const ctx = all.get(key);
  return ctx ? { name: key, ctx } : undefined;
}
