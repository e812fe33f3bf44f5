// A small OCI distribution client over fetch: manifests, blobs, uploads, mounts.
// Every method takes an ImageRef (or a string to parse); errors are one line
// naming the image or blob and the registry.
import { createHash } from 'node:crypto';
import process from 'node:process';
import { IntegrityError, NotFoundError, RemoteError, UsageError, type Platform } from '@pipekit/wire';
import type { CredentialsFn } from './auth.ts';
import { registryBaseUrl } from './endpoint.ts';
import { dockerCredentials } from './docker-config.ts';
import { loadRegistryCAs } from './registry-ca.ts';
import { makeFetch } from './tls-fetch.ts';
import { registryErrorMessage } from './failure.ts';
import { MANIFEST_ACCEPT, effectiveMediaType, manifestKind } from './media-types.ts';
import { selectPlatform, type ImageIndex } from './platform-select.ts';
import { formatReference, parseReference, type ImageRef } from './reference.ts';
import { Transport, backoff, worthRetrying, type Method, type Reply } from './transport.ts';

export type RegistryClientOptions = {
  /** per request: until headers arrive, then between body chunks (default 30 s) */
  timeoutMs?: number;
  /** registries (as written in references, or API hosts) spoken to over plain HTTP */
  insecureRegistries?: string[];
  userAgent?: string;
  /** credentials for a registry host (default: docker's config.json, see docker-config.ts) */
  credentials?: CredentialsFn;
  /** extra trusted CAs: `FILE` (PEM, for every registry) or `HOST=FILE` (also makes a loopback HOST use HTTPS) */
  registryCAs?: string[];
};
export type FetchedManifest = { bytes: Uint8Array; mediaType: string; digest: string };
export type ResolvedImage = { manifestDigest: string; manifest: Uint8Array; mediaType: string; indexDigest?: string };
export type BlobBody = { size: number; body: AsyncIterable<Uint8Array> };
/** What pushBlob sends: bytes, a stream (sent once), or a function giving a fresh stream per attempt. */
export type BlobUpload = Uint8Array | AsyncIterable<Uint8Array> | (() => AsyncIterable<Uint8Array>);

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
// whole uploads (POST + PUT), as the transport retries a GET
const UPLOAD_ATTEMPTS = 4;
const TAG_RE = /^[\w][\w.-]{0,127}$/;

export class RegistryClient {
  private readonly transport: Transport;
  private readonly insecure: string[];

  private readonly tlsHosts: string[];

  constructor(opts: RegistryClientOptions = {}) {
    this.insecure = opts.insecureRegistries ?? [];
    // $CAS_STORE_REGISTRY_CA (comma-separated [HOST=]FILE) reaches every client a tool creates
    const fromEnv = (process.env.CAS_STORE_REGISTRY_CA ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const tls = loadRegistryCAs(opts.registryCAs ?? fromEnv);
    this.tlsHosts = tls.hosts;
    this.transport = new Transport({
      timeoutMs: opts.timeoutMs ?? 30_000,
      userAgent: opts.userAgent ?? 'pipekit-cas-store/0.1',
      credentials: opts.credentials ?? dockerCredentials(),
      fetch: makeFetch(tls.pems),
    });
  }

  /** Fetch a manifest or index by tag or digest (default: the ref's digest, else its tag). */
  async getManifest(refIn: ImageRef | string, reference?: string): Promise<FetchedManifest> {
    const ref = toRef(refIn);
    const want = reference ?? (ref.digest || ref.tag);
    if (!DIGEST_RE.test(want) && !TAG_RE.test(want)) throw new UsageError(`invalid tag or digest ${JSON.stringify(want)} for ${repoName(ref)}`);
    const name = imageName(ref, want);
    const reply = await this.call(ref, 'GET', `manifests/${want}`, { accept: MANIFEST_ACCEPT });
    if (!reply.ok) throw await this.failure(reply, ref, `manifest ${name}`, `image ${name} not found in registry`);
    const bytes = await reply.bytes(MAX_MANIFEST_BYTES, `manifest ${name}`);
    const digest = sha256(bytes);
    if (DIGEST_RE.test(want) && digest !== want) {
      throw new IntegrityError(`manifest ${name} from ${ref.registry} does not match its digest: content hashes to ${digest}`);
    }
    const claimed = reply.headers.get('docker-content-digest');
    if (claimed && claimed.startsWith('sha256:') && claimed !== digest) {
      throw new IntegrityError(`manifest ${name} from ${ref.registry}: registry says ${claimed} but content hashes to ${digest}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new RemoteError(`manifest ${name} from ${ref.registry} is not valid JSON`);
    }
    return { bytes, mediaType: effectiveMediaType(reply.headers.get('content-type'), doc), digest };
  }

  /** Resolve a reference to the image manifest for `platform`, following indexes / manifest lists. */
  async resolveImage(refIn: ImageRef | string, platform: Platform): Promise<ResolvedImage> {
    const ref = toRef(refIn);
    let current = await this.getManifest(ref);
    let indexDigest: string | undefined;
    for (let depth = 0; manifestKind(current.mediaType) === 'index'; depth++) {
      if (depth >= 4) throw new RemoteError(`image ${formatReference(ref)}: indexes nested too deeply`);
      indexDigest ??= current.digest;
      const index = JSON.parse(new TextDecoder().decode(current.bytes)) as ImageIndex;
      const entry = selectPlatform(index, platform, formatReference(ref));
      current = await this.getManifest(ref, entry.digest);
      if (current.bytes.length !== entry.size) {
        throw new IntegrityError(`manifest ${imageName(ref, entry.digest)} is ${current.bytes.length} bytes, the index says ${entry.size}`);
      }
    }
    if (manifestKind(current.mediaType) !== 'manifest') {
      throw new RemoteError(`image ${formatReference(ref)} has unsupported manifest type ${JSON.stringify(current.mediaType)}`);
    }
    return { manifestDigest: current.digest, manifest: current.bytes, mediaType: current.mediaType, indexDigest };
  }

  /** Stream a blob (redirects followed). `size` is -1 when the registry did not say. Callers verify. */
  async fetchBlob(refIn: ImageRef | string, digest: string): Promise<BlobBody> {
    const ref = toRef(refIn);
    checkDigest(digest);
    const reply = await this.call(ref, 'GET', `blobs/${digest}`);
    if (!reply.ok) throw await this.failure(reply, ref, `blob ${digest}`, `blob ${digest} not found in ${repoName(ref)}`);
    const length = reply.headers.get('content-length');
    return { size: length === null ? -1 : Number(length), body: reply.stream() };
  }

  async hasBlob(refIn: ImageRef | string, digest: string): Promise<boolean> {
    return this.blobExists(toRef(refIn), digest, false);
  }

  /** HEAD a blob; `push` asks for the push token up front so the upload that follows reuses it. */
  private async blobExists(ref: ImageRef, digest: string, push: boolean): Promise<boolean> {
    checkDigest(digest);
    const reply = await this.call(ref, 'HEAD', `blobs/${digest}`, {}, undefined, push);
    if (reply.status !== 404 && !reply.ok) throw await this.failure(reply, ref, `blob ${digest}`);
    await reply.discard();
    return reply.ok;
  }

  /**
   * Upload a blob in one POST + PUT; returns false (and sends nothing) when it
   * already exists. A body that can be sent again (bytes, or a function giving
   * a fresh stream) is, in a new upload, after a dropped connection or a 5xx:
   * a failed upload URL is spent, so the retry starts over from the POST.
   */
  async pushBlob(refIn: ImageRef | string, digest: string, size: number, body: BlobUpload): Promise<boolean> {
    const ref = toRef(refIn);
    checkDigest(digest);
    if (body instanceof Uint8Array && (body.length !== size || sha256(body) !== digest)) {
      throw new IntegrityError(`cannot push blob ${digest}: content does not match its digest and size (${size} bytes)`);
    }
    if (await this.blobExists(ref, digest, true)) return false;
    const again = body instanceof Uint8Array || typeof body === 'function';
    for (let attempt = 1; ; attempt++) {
      const failure = await this.uploadOnce(ref, digest, size, typeof body === 'function' ? body() : body);
      if (!failure) return true;
      if (!again || attempt >= UPLOAD_ATTEMPTS || !worthRetrying(failure.why)) throw failure.error;
      await new Promise((r) => setTimeout(r, backoff(attempt)));
      // the lost answer may have been to a PUT that worked
      if (await this.blobExists(ref, digest, true)) return true;
    }
  }

  /** One upload; a failure comes back with what caused it (a thrown error or an HTTP status). */
  private async uploadOnce(ref: ImageRef, digest: string, size: number, body: Uint8Array | AsyncIterable<Uint8Array>): Promise<{ error: Error; why: unknown } | undefined> {
    try {
      const location = await this.startUpload(ref, '');
      if (location === true) return undefined;
      const url = new URL(location);
      url.searchParams.set('digest', digest);
      const headers = { 'content-type': 'application/octet-stream', 'content-length': String(size) };
      const reply = await this.transport.send({ method: 'PUT', url: url.toString(), registry: ref.registry, scopes: scopes(ref, true), headers, body });
      if (!reply.ok) return { error: await this.failure(reply, ref, `blob upload ${digest}`), why: reply.status };
      await reply.discard();
      return undefined;
    } catch (err) {
      return { error: err as Error, why: err };
    }
  }

  /** Cross-repository mount; false when the registry would not mount (the caller then uploads). */
  async mountBlob(refIn: ImageRef | string, fromRepository: string, digest: string): Promise<boolean> {
    const ref = toRef(refIn);
    checkDigest(digest);
    const query = `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepository)}`;
    const extra = [`repository:${fromRepository}:pull`];
    const location = await this.startUpload(ref, query, extra);
    if (location === true) return true;
    // The registry opened an ordinary upload instead; abandon it.
    const cancel = await this.transport.send({ method: 'DELETE', url: location, registry: ref.registry, scopes: [...scopes(ref, true), ...extra] }).catch(() => undefined);
    await cancel?.discard();
    return false;
  }

  /** Upload a manifest under a tag or digest; returns its digest. */
  async putManifest(refIn: ImageRef | string, tagOrDigest: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const ref = toRef(refIn);
    if (!DIGEST_RE.test(tagOrDigest) && !TAG_RE.test(tagOrDigest)) throw new UsageError(`invalid tag or digest ${JSON.stringify(tagOrDigest)} for ${repoName(ref)}`);
    const digest = sha256(bytes);
    if (DIGEST_RE.test(tagOrDigest) && tagOrDigest !== digest) {
      throw new IntegrityError(`cannot push manifest as ${tagOrDigest}: content hashes to ${digest}`);
    }
    if (bytes.length > MAX_MANIFEST_BYTES) throw new RemoteError(`manifest for ${imageName(ref, tagOrDigest)} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    // a manifest PUT is safe to repeat: the same bytes under the same name
    const reply = await this.transport.send({ method: 'PUT', url: `${this.base(ref)}/manifests/${tagOrDigest}`, registry: ref.registry, scopes: scopes(ref, true), headers: { 'content-type': mediaType }, body: bytes, repeatable: true });
    if (!reply.ok) throw await this.failure(reply, ref, `manifest ${imageName(ref, tagOrDigest)}`);
    await reply.discard();
    const claimed = reply.headers.get('docker-content-digest');
    if (claimed && claimed.startsWith('sha256:') && claimed !== digest) {
      throw new IntegrityError(`registry ${ref.registry} stored manifest ${imageName(ref, tagOrDigest)} as ${claimed}, expected ${digest}`);
    }
    return digest;
  }

  /** POST an upload session: true when the registry answered 201 (mounted), else the upload URL. */
  private async startUpload(ref: ImageRef, query: string, extraScopes: string[] = []): Promise<string | true> {
    const url = `${this.base(ref)}/blobs/uploads/${query}`;
    const reply = await this.transport.send({ method: 'POST', url, registry: ref.registry, scopes: [...scopes(ref, true), ...extraScopes], headers: { 'content-length': '0' } });
    if (reply.status !== 201 && reply.status !== 202) throw await this.failure(reply, ref, `blob upload to ${repoName(ref)}`);
    await reply.discard();
    if (reply.status === 201) return true;
    const location = reply.headers.get('location');
    if (!location) throw new RemoteError(`registry ${ref.registry} started an upload to ${repoName(ref)} without a Location header`);
    return new URL(location, url).toString();
  }

  private call(ref: ImageRef, method: Method, tail: string, headers: Record<string, string> = {}, body?: Uint8Array, push = false): Promise<Reply> {
    return this.transport.send({ method, url: `${this.base(ref)}/${tail}`, registry: ref.registry, scopes: scopes(ref, push), headers, body });
  }

  private base(ref: ImageRef): string {
    return `${registryBaseUrl(ref.registry, this.insecure, this.tlsHosts)}/v2/${ref.repository}`;
  }

  /** The error for a non-2xx answer: NotFoundError for 404 / *_UNKNOWN, RemoteError otherwise. */
  private async failure(reply: Reply, ref: ImageRef, what: string, notFound?: string): Promise<Error> {
    const body = await reply.text().catch(() => '');
    const { codes, message } = registryErrorMessage(body);
    const detail = message ? `: ${message}` : '';
    if (reply.status === 404 || codes.some((c) => c === 'MANIFEST_UNKNOWN' || c === 'NAME_UNKNOWN' || c === 'BLOB_UNKNOWN')) {
      return new NotFoundError(notFound ?? `${what} not found in ${repoName(ref)}`);
    }
    if (codes.some((c) => c === 'DIGEST_INVALID' || c === 'SIZE_INVALID' || c === 'MANIFEST_BLOB_UNKNOWN')) {
      return new IntegrityError(`registry ${ref.registry} rejected ${what}${detail}`);
    }
    if (reply.status === 401 || reply.status === 403) {
      return new RemoteError(`registry ${ref.registry} denied access to ${what} (HTTP ${reply.status}${detail}); authentication is required`);
    }
    return new RemoteError(`registry ${ref.registry} answered HTTP ${reply.status} for ${what}${detail}`);
  }
}

function checkDigest(digest: string): void {
  if (!DIGEST_RE.test(digest)) throw new UsageError(`not a blob digest: ${JSON.stringify(digest)} (expected sha256:<64 hex>)`);
}

function toRef(ref: ImageRef | string): ImageRef {
  return typeof ref === 'string' ? parseReference(ref) : ref;
}

function scopes(ref: ImageRef, push: boolean): string[] {
  return [`repository:${ref.repository}:${push ? 'pull,push' : 'pull'}`];
}

function repoName(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}`;
}

function imageName(ref: ImageRef, reference: string): string {
  return `${repoName(ref)}${DIGEST_RE.test(reference) ? '@' : ':'}${reference}`;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
