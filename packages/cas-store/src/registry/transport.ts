// One HTTP exchange with a registry: timeouts, auth retry on 401, bounded
// retries for idempotent requests, and failures as one-line RemoteErrors.
import { RemoteError } from '@pipekit/wire';
import { Authenticator, type CredentialsFn } from './auth.ts';
import { describeNetworkError } from './failure.ts';
import type { FetchFn } from './tls-fetch.ts';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type SendOptions = {
  method: Method;
  url: string;
  /** registry name for messages and the token cache: 127.0.0.1:5000, docker.io */
  registry: string;
  /** token scopes, e.g. repository:library/busybox:pull */
  scopes: string[];
  headers?: Record<string, string>;
  body?: Uint8Array | AsyncIterable<Uint8Array>;
  /** retry like GET although the method is not: the request is safe to repeat (a manifest PUT) */
  repeatable?: boolean;
};

const MAX_ATTEMPTS = 5;
const MAX_RETRY_AFTER_MS = 10_000;
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

export class Transport {
  readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly auth: Authenticator;
  private readonly fetchFn: FetchFn;

  constructor(opts: { timeoutMs: number; userAgent: string; credentials?: CredentialsFn; fetch?: FetchFn }) {
    this.timeoutMs = opts.timeoutMs;
    this.userAgent = opts.userAgent;
    this.fetchFn = opts.fetch ?? ((url, init) => fetch(url, init));
    this.auth = new Authenticator({
      credentials: opts.credentials,
      rawFetch: async (url, init) => {
        const reply = await this.attempt(url, init.method, init.headers, init.body, `token server ${new URL(url).host}`);
        if (reply instanceof Error) throw reply;
        return reply.res;
      },
    });
  }

  /** Send a request; returns any HTTP answer (callers judge the status), throws RemoteError if none came. */
  async send(o: SendOptions): Promise<Reply> {
    const replayable = !o.body || o.body instanceof Uint8Array;
    const idempotent = o.method === 'GET' || o.method === 'HEAD' || (o.repeatable === true && replayable);
    let authorization = this.auth.cached(o.registry, o.scopes);
    let authTried = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { ...o.headers };
      if (authorization) headers.authorization = authorization;
      const body = o.body instanceof Uint8Array || !o.body ? o.body : toStream(o.body);
      const reply = await this.attempt(o.url, o.method, headers, body, `registry ${o.registry}`);
      if (reply instanceof Error) {
        if (idempotent && reply.retryable && attempt < MAX_ATTEMPTS) {
          await sleep(backoff(attempt));
          continue;
        }
        throw reply;
      }
      if (reply.status === 401 && !authTried && replayable) {
        authTried = true;
        await reply.discard();
        authorization = await this.auth.authorize(o.registry, o.scopes, reply.headers.get('www-authenticate'));
        attempt--; // the auth round trip is not a failed attempt
        continue;
      }
      if (idempotent && RETRY_STATUS.has(reply.status) && attempt < MAX_ATTEMPTS) {
        await reply.discard();
        await sleep(retryAfter(reply.headers.get('retry-after')) ?? backoff(attempt));
        continue;
      }
      return reply;
    }
  }

  /** One fetch; a failure to get any answer comes back as a RetryableError, not thrown. */
  private async attempt(url: string, method: string, headers: Record<string, string>, body: Uint8Array | ReadableStream<Uint8Array> | string | undefined, where: string): Promise<Reply | RetryableError> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    const init: RequestInit & { duplex?: 'half' } = { method, headers: { 'user-agent': this.userAgent, ...headers }, body: body as BodyInit | undefined, signal: controller.signal, redirect: 'follow' };
    if (body instanceof ReadableStream) init.duplex = 'half'; // required by fetch for streamed request bodies
    try {
      const res = await this.fetchFn(url, init);
      clearTimeout(timer);
      return new Reply(res, controller, this.timeoutMs, where);
    } catch (err) {
      clearTimeout(timer);
      const failure = describeNetworkError(err, timedOut, this.timeoutMs, url);
      return new RetryableError(`cannot reach ${where}: ${failure.words}`, failure.retryable, err);
    }
  }
}

class RetryableError extends RemoteError {
  retryable: boolean;
  constructor(message: string, retryable: boolean, cause: unknown) {
    super(message, { cause });
    this.name = 'RemoteError';
    this.retryable = retryable;
  }
}

/** A response whose body reads are guarded by an idle timeout and mapped to RemoteError. */
export class Reply {
  readonly res: Response;
  private readonly controller: AbortController;
  private readonly timeoutMs: number;
  private readonly where: string;

  constructor(res: Response, controller: AbortController, timeoutMs: number, where: string) {
    this.res = res;
    this.controller = controller;
    this.timeoutMs = timeoutMs;
    this.where = where;
  }
  get status(): number {
    return this.res.status;
  }
  get headers(): Headers {
    return this.res.headers;
  }
  get ok(): boolean {
    return this.res.ok;
  }

  /** Stream the body; stalls longer than the timeout abort it. */
  async *stream(): AsyncGenerator<Uint8Array> {
    if (!this.res.body) return;
    const reader = this.res.body.getReader();
    let timedOut = false;
    let finished = false;
    try {
      for (;;) {
        const timer = setTimeout(() => {
          timedOut = true;
          this.controller.abort(new Error('idle timeout'));
        }, this.timeoutMs);
        let step: ReadableStreamReadResult<Uint8Array>;
        try {
          step = await reader.read();
        } catch (err) {
          const failure = describeNetworkError(err, timedOut, this.timeoutMs);
          throw new RemoteError(`lost connection to ${this.where} while reading ${new URL(this.res.url || 'http://x/').pathname}: ${failure.words}`, { cause: err });
        } finally {
          clearTimeout(timer);
        }
        if (step.done) {
          finished = true;
          return;
        }
        yield step.value;
      }
    } finally {
      // A consumer that stops early must not leave the connection half-read.
      if (!finished) await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  }

  /** The whole body; `limit` refuses bodies larger than that many bytes. */
  async bytes(limit = Number.POSITIVE_INFINITY, what = 'response'): Promise<Uint8Array> {
    const declared = Number(this.res.headers.get('content-length') ?? NaN);
    const tooBig = () => new RemoteError(`${what} from ${this.where} is larger than ${limit} bytes; refusing it`);
    if (declared > limit) {
      await this.discard();
      throw tooBig();
    }
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of this.stream()) {
      size += chunk.length;
      if (size > limit) throw tooBig(); // leaving the loop cancels the body
      parts.push(chunk);
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes(1 << 20));
  }

  /** Drop the body so the connection can be reused. */
  async discard(): Promise<void> {
    await this.res.body?.cancel().catch(() => {});
  }
}

function toStream(src: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = src[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const step = await it.next();
      if (step.done) ctrl.close();
      else ctrl.enqueue(step.value);
    },
    async cancel(reason) {
      await it.return?.(reason);
    },
  });
}

/** Whether a failed exchange (an error thrown by send, or an answer's status) is worth another try. */
export function worthRetrying(failure: unknown): boolean {
  if (typeof failure === 'number') return RETRY_STATUS.has(failure);
  return failure instanceof RetryableError && failure.retryable;
}

/** Exponential backoff with jitter: ~200 ms, 400 ms, 800 ms, 1.6 s. */
export function backoff(attempt: number): number {
  const base = 100 * 2 ** attempt;
  return base / 2 + Math.random() * (base / 2);
}

/** A Retry-After header (seconds or an HTTP date), capped; undefined when absent or unreadable. */
function retryAfter(h: string | null): number | undefined {
  if (!h) return undefined;
  const secs = Number(h);
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(h) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
