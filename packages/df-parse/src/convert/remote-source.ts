// ADD's remote sources: git repositories (BuildKit's gitutil.ParseGitRef rules:
// git://, ssh://, git@host:path, http(s) URLs ending in .git; `#ref:subdir`)
// and plain http(s) files. Both become source ops the solver fetches.
import type { Input, Platform } from '@pipekit/wire';
import type { GraphBuilder } from './graph.ts';

export type GitRef = { remote: string; ref: string; subdir: string; identifier: string };

export function isHttpSource(src: string): boolean {
  return src.startsWith('http://') || src.startsWith('https://');
}

/** The git reference `src` names, or null for a local path or a plain URL. */
export function parseGitRef(src: string): GitRef | null {
  const hash = src.indexOf('#');
  const remote = hash < 0 ? src : src.slice(0, hash);
  const fragment = hash < 0 ? '' : src.slice(hash + 1);
  let isGit = false;
  if (/^(git|ssh):\/\//.test(remote) || /^[\w.-]+@[\w.-]+:/.test(remote)) isGit = true;
  else if (/^https?:\/\//.test(remote)) {
    const p = remote.replace(/[?].*$/, '');
    isGit = p.endsWith('.git') || p.endsWith('.git/');
  } else if (remote.startsWith('file://')) isGit = p2(remote).endsWith('.git') || hash >= 0;
  if (!isGit) return null;
  const colon = fragment.indexOf(':');
  const ref = colon < 0 ? fragment : fragment.slice(0, colon);
  const subdir = colon < 0 ? '' : fragment.slice(colon + 1);
  // the identifier drops the scheme, so https/ssh forms of one repo share a key
  const bare = remote.replace(/^[a-z+]+:\/\//, '').replace(/^[\w.-]+@([\w.-]+):/, '$1/');
  return { remote, ref, subdir, identifier: `git://${bare}${fragment ? `#${fragment}` : ''}` };
}

function p2(u: string): string {
  return u.replace(/\/+$/, '');
}

/** The file name an http source is saved as: the URL path's last part, else __unnamed__. */
export function httpFilename(src: string): string {
  try {
    const base = new URL(src).pathname.split('/').filter(Boolean).pop();
    return base ? decodeURIComponent(base) : '__unnamed__';
  } catch {
    return '__unnamed__';
  }
}

export function gitSource(graph: GraphBuilder, g: GitRef, keepGitDir: boolean, name: string): Input {
  const attrs: Record<string, string> = { 'git.fullurl': g.remote };
  if (keepGitDir) attrs['git.keepgitdir'] = 'true';
  return graph.add({ inputs: [], platform: null, source: { identifier: g.identifier, attrs } }, { name });
}

export function httpSource(graph: GraphBuilder, url: string, filename: string, checksum: string, platform: Platform | null, name: string): Input {
  const attrs: Record<string, string> = { 'http.filename': filename };
  if (checksum) attrs['http.checksum'] = checksum;
  return graph.add({ inputs: [], platform, source: { identifier: url, attrs } }, { name });
}
