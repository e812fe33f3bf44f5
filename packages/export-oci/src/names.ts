// Image names as docker/distribution's reference package normalises them
// (ParseNormalizedNamed + TagNameOnly), so `name=` means the same here as in
// `buildctl --output type=oci,name=...`: `example` is docker.io/library/example:latest.
import { UsageError } from '@pipekit/wire';

export type ImageName = {
  /** fully qualified, e.g. docker.io/library/example:latest (io.containerd.image.name) */
  full: string;
  /** short form docker shows, e.g. example:latest (manifest.json RepoTags) */
  familiar: string;
  /** repository in familiar form without tag or digest, e.g. example (repositories file key) */
  familiarRepo: string;
  /** the tag, or '' for a digest-only name */
  tag: string;
  /** org.opencontainers.image.ref.name: the tag, or the full name when there is no tag */
  refName: string;
};

const DEFAULT_DOMAIN = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

function bad(name: string, why: string): never {
  throw new UsageError(`invalid image name ${JSON.stringify(name)}: ${why}`);
}

/** Parse one reference; adds `:latest` when it has neither tag nor digest. */
export function normalizeName(input: string): ImageName {
  const name = input.trim();
  if (!name) bad(input, 'empty name');
  // docker refuses these because they read like image IDs
  if (/^[a-f0-9]{64}$/.test(name)) bad(name, 'cannot specify 64-byte hexadecimal strings');
  let rest = name;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) bad(name, `bad digest ${JSON.stringify(digest)}`);
  }
  let tag = '';
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) bad(name, `bad tag ${JSON.stringify(tag)}`);
  }
  // The first path part is a registry host only if it looks like one; otherwise
  // the name is on Docker Hub (the same rule docker uses).
  let domain = DEFAULT_DOMAIN;
  let repo = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      repo = rest.slice(slash + 1);
      if (!DOMAIN.test(domain)) bad(name, `bad registry host ${JSON.stringify(domain)}`);
    }
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !repo.includes('/')) repo = `library/${repo}`;
  for (const part of repo.split('/')) {
    if (part.toLowerCase() !== part) bad(name, 'repository name must be lowercase');
    if (!COMPONENT.test(part)) bad(name, `bad path component ${JSON.stringify(part)}`);
  }
  if (`${domain}/${repo}`.length > 255) bad(name, 'repository name must not be more than 255 characters');
  if (!tag && !digest) tag = 'latest';

  const suffix = `${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  let familiarRepo = `${domain}/${repo}`;
  if (domain === DEFAULT_DOMAIN) {
    familiarRepo = repo.startsWith('library/') && repo.split('/').length === 2 ? repo.slice('library/'.length) : repo;
  }
  const full = `${domain}/${repo}${suffix}`;
  return { full, familiar: `${familiarRepo}${suffix}`, familiarRepo, tag, refName: tag || full };
}

/** `name` may list several names separated by commas, as BuildKit's `name=` does; duplicates collapse. */
export function normalizeNames(name: string | undefined): ImageName[] {
  if (name === undefined || name.trim() === '') return [];
  const seen = new Map<string, ImageName>();
  for (const part of name.split(',')) {
    const n = normalizeName(part);
    if (!seen.has(n.full)) seen.set(n.full, n);
  }
  return [...seen.values()];
}
