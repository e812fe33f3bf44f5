// What progress output must never show: each secret value, also without its
// trailing newline, and each long-enough line of a multi-line secret (a step
// may print one line of it). Longest first, so no mask splits another.
import type { SessionProvider } from './types.ts';

const MIN_LINE = 8;

export function masksFor(values: Uint8Array[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    const s = Buffer.from(v).toString('utf8');
    const trimmed = s.replace(/[\r\n]+$/, '');
    for (const m of [s, trimmed]) if (m) out.add(m);
    const lines = trimmed.split(/\r?\n/);
    if (lines.length > 1) for (const l of lines) if (l.trim().length >= MIN_LINE) out.add(l);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** Fetch every secret of the session and return its masks. */
export async function sessionMasks(session: SessionProvider): Promise<string[]> {
  const info = await session.info();
  const values: Buffer[] = [];
  for (const s of info.secrets) {
    const v = await session.getSecret(s.id);
    if (v) values.push(v);
  }
  return masksFor(values);
}
