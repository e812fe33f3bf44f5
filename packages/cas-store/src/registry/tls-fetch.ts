// fetch with the CAs we choose. Node's fetch trusts only its bundled roots and
// takes no CA option, so HTTPS under Node goes through node:https with the
// bundled roots + the system bundle + --registry-ca files; Deno's fetch takes
// an HttpClient with extra CA certificates.
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Buffer } from 'node:buffer';
import process from 'node:process';

export type FetchFn = (url: string, init: RequestInit & { duplex?: 'half' }) => Promise<Response>;

const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];
const MAX_REDIRECTS = 5;

/** PEM text of the system CA bundle, '' when there is none. */
export function systemCaBundle(): string {
  for (const f of SYSTEM_BUNDLES) {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      // try the next location
    }
  }
  return '';
}

/**
 * PEM text of NODE_EXTRA_CA_CERTS, '' when unset or unreadable. Node adds that
 * file to its default roots only, and the `ca` passed below replaces those; the
 * bins also keep Node from parsing it at start-up (see packages/<tool>/bin).
 */
export function extraCaBundle(): string {
  const f = process.env.NODE_EXTRA_CA_CERTS;
  if (!f) return '';
  try {
    return readFileSync(f, 'utf8');
  } catch {
    // Node itself only warns about an unreadable file
    return '';
  }
}

type DenoLike = { createHttpClient(o: { caCerts: string[] }): unknown };

/** A fetch trusting the default roots, the system bundle, NODE_EXTRA_CA_CERTS and `extraCaPems`. */
export function makeFetch(extraCaPems: string[] = []): FetchFn {
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  const system = systemCaBundle();
  const extra = extraCaBundle();
  if (deno) {
    if (extraCaPems.length === 0 && !system && !extra) return (url, init) => fetch(url, init);
    let client: unknown;
    return (url, init) => {
      client ??= deno.createHttpClient({ caCerts: [system, extra, ...extraCaPems].filter(Boolean) });
      return fetch(url, { ...init, client } as RequestInit);
    };
  }
  const ca = [...rootCertificates, system, extra === system ? '' : extra, ...extraCaPems].filter(Boolean);
  return (url, init) => (url.startsWith('https:') ? httpsFetch(url, init, ca, MAX_REDIRECTS) : fetch(url, init));
}

function headerRecord(h: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(h).forEach((v, k) => (out[k] = v));
  return out;
}

function httpsFetch(url: string, init: RequestInit, ca: string[], redirects: number): Promise<Response> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = headerRecord(init.headers);
    const req = httpsRequest(u, { method, headers, ca, signal: init.signal ?? undefined }, (res) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if ([301, 302, 303, 307, 308].includes(status) && location && redirects > 0 && (method === 'GET' || method === 'HEAD')) {
        res.resume();
        const next = new URL(location, u);
        // credentials stay with the host they were meant for
        const nextHeaders = next.host === u.host ? headers : Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'authorization'));
        const go = next.protocol === 'https:' ? httpsFetch(next.toString(), { ...init, headers: nextHeaders }, ca, redirects - 1) : fetch(next.toString(), { ...init, headers: nextHeaders });
        go.then(resolve, reject);
        return;
      }
      const h = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
      const empty = method === 'HEAD' || status === 204 || status === 304;
      if (empty) res.resume();
      const body = empty ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
      resolve(new Response(body, { status, statusText: res.statusMessage, headers: h }));
    });
    req.on('error', reject);
    const b = init.body as unknown;
    if (b === undefined || b === null) req.end();
    else if (typeof b === 'string' || b instanceof Uint8Array) req.end(Buffer.from(b as Uint8Array));
    else if (b instanceof ReadableStream) Readable.fromWeb(b as import('node:stream/web').ReadableStream).on('error', (e) => req.destroy(e)).pipe(req);
    else req.end(String(b));
  });
}
