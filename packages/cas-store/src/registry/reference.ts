// Image references with docker's normalisation (distribution/reference
// ParseNormalizedNamed + TagNameOnly): "busybox" means
// docker.io/library/busybox:latest. A reference is a plain object; its
// toString() (same as formatReference) gives the canonical full name.
import { UsageError } from '@pipekit/wire';

export type ImageRef = {
  /** registry name as users write it: docker.io, 127.0.0.1:5000, localhost, [::1]:5000 */
  registry: string;
  /** repository path inside the registry: library/busybox */
  repository: string;
  /** '' when only a digest was given (name@sha256:...) */
  tag: string;
  /** '' unless pinned (name@sha256:... or name:tag@sha256:...) */
  digest: string;
  /** canonical full name, e.g. docker.io/library/busybox:latest */
  toString(): string;
};

export const DEFAULT_REGISTRY = 'docker.io';
const LEGACY_REGISTRY = 'index.docker.io';
const NAME_MAX = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256_RE = /^sha256:[0-9a-f]{64}$/;

/** Parse and normalise a docker-style image reference; throws UsageError when invalid. */
export function parseReference(s: string): ImageRef {
  const bad = (why: string): never => {
    throw new UsageError(`invalid image reference ${JSON.stringify(s)}: ${why}`);
  };
  if (typeof s !== 'string' || s === '') bad('empty');
  if (/\s/.test(s)) bad('must not contain whitespace');

  let rest = s;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) bad(`${JSON.stringify(digest)} is not a digest (expected sha256:<64 hex>)`);
    if (!SHA256_RE.test(digest)) bad(`unsupported digest ${JSON.stringify(digest)}: only sha256:<64 lowercase hex> is supported`);
  }

  // A ':' after the last '/' starts the tag; earlier ones belong to a registry port.
  let tag = '';
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) bad(`invalid tag ${JSON.stringify(tag)} (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')`);
  }
  if (rest === '') bad('missing repository name');

  let { registry, repository } = splitRegistry(rest);
  if (!DOMAIN_RE.test(registry)) bad(`invalid registry ${JSON.stringify(registry)}`);
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) {
    if (/^[a-f0-9]{64}$/.test(repository)) bad('a 64-character hexadecimal string is an image ID, not a name');
    repository = `library/${repository}`;
  }
  if (repository !== repository.toLowerCase()) bad('repository name must be lowercase');
  for (const part of repository.split('/')) {
    if (!PATH_COMPONENT_RE.test(part)) {
      bad(part === '' ? 'empty path component in repository name' : `invalid repository name component ${JSON.stringify(part)}`);
    }
  }
  if (registry.length + 1 + repository.length > NAME_MAX) bad(`name longer than ${NAME_MAX} characters`);
  // TagNameOnly: a bare name means :latest; a digest alone stays untagged.
  if (tag === '' && digest === '') tag = 'latest';
  return makeRef({ registry, repository, tag, digest });
}

/** Build an ImageRef from fields (no validation): e.g. the same repository at another tag. */
export function makeRef(fields: { registry: string; repository: string; tag: string; digest: string }): ImageRef {
  const ref = { ...fields } as ImageRef;
  // Non-enumerable so JSON.stringify / deepEqual see only the data fields.
  Object.defineProperty(ref, 'toString', { value: () => formatReference(ref), enumerable: false });
  return ref;
}

/** Canonical full name: registry/repository[:tag][@digest]. */
export function formatReference(ref: { registry: string; repository: string; tag?: string; digest?: string }): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

function splitRegistry(name: string): { registry: string; repository: string } {
  const i = name.indexOf('/');
  const first = i < 0 ? '' : name.slice(0, i);
  // Docker's rule: the first component is a registry only if it looks like a host.
  const isHost = i >= 0 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase() || first.startsWith('['));
  if (!isHost) return { registry: DEFAULT_REGISTRY, repository: name };
  const registry = first === LEGACY_REGISTRY ? DEFAULT_REGISTRY : first;
  return { registry, repository: name.slice(i + 1) };
}
