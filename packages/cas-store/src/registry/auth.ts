// Registry authentication: the distribution token flow. On a 401 with a Bearer
// challenge we fetch a token from the realm (anonymously unless a credentials
// callback supplies some) and cache it per host and scope; Basic challenges
// need credentials. Reading ~/.docker/config.json belongs in the callback.
import { Buffer } from 'node:buffer';
import { RemoteError } from '@pipekit/wire';

export type Credentials = { username: string; password: string } | { identityToken: string };
/** Looks up credentials for a registry host (`127.0.0.1:5000`, `registry-1.docker.io`). */
export type CredentialsFn = (host: string) => Credentials | undefined | Promise<Credentials | undefined>;
/** Plain GET/POST without auth, with the transport's timeouts and error words. */
export type RawFetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<Response>;

type Challenge = { scheme: string; params: Record<string, string> };
type CachedToken = { header: string; expires: number };

export class Authenticator {
  private readonly tokens = new Map<string, CachedToken>();
  /** host → the last challenge seen, so later requests can fetch a token up front */
  private readonly challenges = new Map<string, Challenge>();
  private readonly credentials?: CredentialsFn;
  private readonly rawFetch: RawFetch;

  constructor(opts: { credentials?: CredentialsFn; rawFetch: RawFetch }) {
    this.credentials = opts.credentials;
    this.rawFetch = opts.rawFetch;
  }

  /** Authorization header already known for this host and scope, if any. */
  cached(host: string, scopes: string[]): string | undefined {
    const hit = this.tokens.get(key(host, scopes));
    return hit && hit.expires > Date.now() ? hit.header : undefined;
  }

  /** Answer a 401: returns the Authorization header to retry with, or throws RemoteError. */
  async authorize(host: string, scopes: string[], wwwAuthenticate: string | null): Promise<string> {
    const challenge = parseChallenge(wwwAuthenticate ?? '') ?? this.challenges.get(host);
    if (!challenge) throw new RemoteError(`registry ${host} requires authentication but sent no WWW-Authenticate challenge`);
    this.challenges.set(host, challenge);
    const creds = await this.credentials?.(host);
    let cached: CachedToken;
    if (challenge.scheme === 'basic') {
      if (!creds || !('username' in creds)) {
        throw new RemoteError(`registry ${host} requires authentication (Basic): no credentials configured for ${host}`);
      }
      cached = { header: basic(creds.username, creds.password), expires: Number.POSITIVE_INFINITY };
    } else if (challenge.scheme === 'bearer') {
      cached = await this.fetchToken(host, challenge, scopes, creds);
    } else {
      throw new RemoteError(`registry ${host} asks for unsupported authentication scheme ${JSON.stringify(challenge.scheme)}`);
    }
    this.tokens.set(key(host, scopes), cached);
    return cached.header;
  }

  private async fetchToken(host: string, ch: Challenge, scopes: string[], creds: Credentials | undefined): Promise<CachedToken> {
    const realm = ch.params.realm;
    if (!realm) throw new RemoteError(`registry ${host} sent a Bearer challenge without a realm`);
    const url = new URL(realm);
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    // Our scopes first: the challenge's scope may name only the first repository of a mount.
    const wanted = new Set([...scopes, ...(ch.params.scope ? ch.params.scope.split(' ') : [])]);
    let res: Response;
    if (creds && 'identityToken' in creds) {
      // OAuth2 refresh-token grant, as docker does for identity tokens.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'pipekit', service: ch.params.service ?? '', scope: [...wanted].join(' ') });
      res = await this.rawFetch(url.toString(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    } else {
      for (const s of wanted) url.searchParams.append('scope', s);
      const headers: Record<string, string> = creds ? { authorization: basic(creds.username, creds.password) } : {};
      res = await this.rawFetch(url.toString(), { method: 'GET', headers });
    }
    const text = await res.text();
    if (!res.ok) {
      const who = creds ? 'with the configured credentials' : 'anonymously';
      throw new RemoteError(`registry ${host}: token server ${url.host} refused a token ${who} for ${[...wanted].join(' ')} (HTTP ${res.status}); authentication is required`);
    }
    let doc: { token?: string; access_token?: string; expires_in?: number };
    try {
      doc = JSON.parse(text);
    } catch {
      throw new RemoteError(`registry ${host}: token server ${url.host} answered with something that is not JSON`);
    }
    const token = doc.token || doc.access_token;
    if (!token) throw new RemoteError(`registry ${host}: token server ${url.host} answered without a token`);
    // Refresh a little early so a token never expires mid-request.
    const lifetime = Math.max(10, Number(doc.expires_in) || 60) - 5;
    return { header: `Bearer ${token}`, expires: Date.now() + lifetime * 1000 };
  }
}

/** Parse the first challenge of a WWW-Authenticate header: `Bearer realm="...",service="...",scope="..."`. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let p = re.exec(m[2]); p; p = re.exec(m[2])) {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  }
  return { scheme: m[1].toLowerCase(), params };
}

function key(host: string, scopes: string[]): string {
  return `${host} ${[...scopes].sort().join(' ')}`;
}

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}
