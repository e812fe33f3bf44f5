// The session protocol on secret-agent's Unix socket. One request per
// connection: a JSON line {v, token, op, id}; the answer is a JSON line, then
// for `secret` exactly `size` bytes, for `ssh` the raw SSH agent protocol.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WireFormatError } from '@pipekit/wire';
import type { SessionInfo } from './types.ts';

export const PROTOCOL_VERSION = 1;
const MAX_HEADER = 64 * 1024;

export type SessionRequest = { v: number; token: string; op: 'info' | 'secret' | 'ssh'; id?: string };
export type SessionReply =
  | { ok: true; size?: number; info?: SessionInfo }
  | { ok: false; code: 'denied' | 'notfound' | 'bad'; error: string };

/** Read one JSON line; `rest` holds the bytes that followed it. The stream is left paused. */
export function readHeader<T>(conn: Duplex, timeoutMs = 10_000): Promise<{ header: T; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err?: Error, value?: { header: T; rest: Buffer }) => {
      clearTimeout(timer);
      conn.off('data', onData);
      conn.off('end', onEnd);
      conn.off('error', onError);
      conn.pause();
      if (err) reject(err);
      else resolve(value as { header: T; rest: Buffer });
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(10);
      if (nl < 0) {
        if (buf.length > MAX_HEADER) done(new WireFormatError('session header too long'));
        return;
      }
      try {
        done(undefined, { header: JSON.parse(buf.subarray(0, nl).toString('utf8')) as T, rest: buf.subarray(nl + 1) });
      } catch {
        done(new WireFormatError('session header is not JSON'));
      }
    };
    const onEnd = () => done(new WireFormatError('connection closed before the session header'));
    const onError = (err: Error) => done(err);
    const timer = setTimeout(() => done(new WireFormatError('no session header in time')), timeoutMs);
    conn.on('data', onData);
    conn.once('end', onEnd);
    conn.once('error', onError);
    conn.resume();
  });
}

export function headerLine(obj: SessionRequest | SessionReply): string {
  return `${JSON.stringify(obj)}\n`;
}

/** Compare tokens in constant time. */
export function tokenMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(given), h(expected));
}
