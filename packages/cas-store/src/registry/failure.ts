// Turn fetch failures and registry error bodies into short readable words.
// Node (undici) and Deno word the same failure differently, so match both.

export type NetworkFailure = { words: string; retryable: boolean };

/** Describe why a fetch threw. `timedOut` is set by our own timer, the only reliable signal. */
export function describeNetworkError(err: unknown, timedOut: boolean, timeoutMs: number, url?: string): NetworkFailure {
  if (timedOut) return { words: `timed out after ${timeoutMs} ms`, retryable: false };
  const text = chain(err).join(' | ');
  const has = (re: RegExp) => re.test(text);
  if (has(/ECONNREFUSED|connection refused/i)) return { words: 'connection refused', retryable: false };
  if (has(/ENOTFOUND|EAI_AGAIN|EAI_NONAME|dns error|failed to lookup address|name or service not known/i)) {
    return { words: 'host not found (DNS lookup failed)', retryable: false };
  }
  if (has(/bad port|port \d+ (?:are|is) blocked/i)) {
    const port = (url ? new URL(url).port : '') || /port (\d+)/.exec(text)?.[1];
    return { words: `${port ? `port ${port}` : 'this port'} is blocked by fetch (a "bad port" in the Fetch standard); use another port`, retryable: false };
  }
  if (has(/ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|timed out/i)) return { words: 'connection timed out', retryable: false };
  if (has(/ECONNRESET|EPIPE|UND_ERR_SOCKET|other side closed|socket hang up|connection reset|connection closed before message completed|broken pipe/i)) {
    return { words: 'connection reset', retryable: true };
  }
  if (has(/EHOSTUNREACH|ENETUNREACH|no route to host|network is unreachable/i)) return { words: 'host unreachable', retryable: false };
  if (has(/certificate|CERT_|SSL|TLS|handshake/i)) {
    return { words: `TLS error (${lastMessage(err)}); trust a private CA with --registry-ca HOST=FILE; a plain-HTTP registry needs --insecure-registry HOST`, retryable: false };
  }
  return { words: lastMessage(err), retryable: false };
}

/** The registry's own message from an error body: {"errors":[{"code","message","detail"}]}. */
export function registryErrorMessage(body: string): { codes: string[]; message: string } {
  try {
    const doc = JSON.parse(body) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    if (Array.isArray(doc.errors) && doc.errors.length > 0) {
      const codes = doc.errors.map((e) => String(e.code ?? ''));
      const message = doc.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
      return { codes, message };
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return { codes: [], message: body.replace(/\s+/g, ' ').trim().slice(0, 200) };
}

function chain(err: unknown): string[] {
  const out: string[] = [];
  for (let e = err as { message?: unknown; code?: unknown; cause?: unknown } | undefined, n = 0; e && n < 6; e = e.cause as typeof e, n++) {
    if (typeof e !== 'object') {
      out.push(String(e));
      break;
    }
    out.push(`${String(e.code ?? '')} ${String(e.message ?? '')}`);
  }
  return out;
}

function lastMessage(err: unknown): string {
  const parts = chain(err).map((s) => s.trim()).filter(Boolean);
  return (parts[parts.length - 1] ?? String(err)).replace(/\s+/g, ' ');
}
