// Masks secrets in output that arrives in chunks: a secret split across two
// chunks (a 64 KiB pipe read can cut it anywhere) must still become ****. Each
// stream keeps back the longest tail that could begin a secret until the next
// chunk, or the end, says what it is; bytes are decoded as UTF-8 across chunks.
// Masks are found through an index of their first few characters, so thousands
// of them (every line of a large multi-line secret) cost one pass per chunk.
import { StringDecoder } from 'node:string_decoder';

export const MASK = '****';
const PREFIX = 8;
const B = 31;

/** Polynomial hash of s[from, from+p), in 32-bit arithmetic so it can roll. */
function hashOf(s: string, from: number, p: number): number {
  let h = 0;
  for (let k = 0; k < p; k++) h = (Math.imul(h, B) + s.charCodeAt(from + k)) | 0;
  return h;
}

export class LogMasker {
  /** masks by the hash of their first `p` characters, longest first */
  private byHash = new Map<number, string[]>();
  /** every prefix shorter than `p` of every mask */
  private shortPrefixes = new Set<string>();
  private p: number;
  /** B^(p-1), to roll a character out of the hash */
  private pow = 1;
  private pending = new Map<string, { text: string; decoder: StringDecoder }>();
  constructor(masks: string[]) {
    const all = [...new Set(masks.filter((m) => m.length > 0))].sort((a, b) => b.length - a.length);
    this.p = Math.min(PREFIX, ...all.map((m) => m.length));
    for (let k = 1; k < this.p; k++) this.pow = Math.imul(this.pow, B);
    for (const m of all) {
      const h = hashOf(m, 0, this.p);
      this.byHash.set(h, [...(this.byHash.get(h) ?? []), m]);
      for (let i = 1; i < this.p; i++) this.shortPrefixes.add(m.slice(0, i));
    }
  }

  private roll(h: number, s: string, i: number): number {
    return (Math.imul((h - Math.imul(s.charCodeAt(i), this.pow)) | 0, B) + s.charCodeAt(i + this.p)) | 0;
  }

  /** Replace every (leftmost, longest) occurrence of a mask by ****. */
  redact(s: string): string {
    const p = this.p;
    if (this.byHash.size === 0 || s.length < p) return s;
    let out = '';
    let last = 0;
    let i = 0;
    let h = hashOf(s, 0, p);
    for (;;) {
      const hit = this.byHash.get(h)?.find((m) => s.startsWith(m, i));
      if (hit) {
        out += s.slice(last, i) + MASK;
        i += hit.length;
        last = i;
        if (i + p > s.length) break;
        h = hashOf(s, i, p);
        continue;
      }
      if (i + p >= s.length) break;
      h = this.roll(h, s, i);
      i++;
    }
    return out + s.slice(last);
  }

  /** Where the longest tail of s that is a proper prefix of some mask starts (s.length: none). */
  private holdFrom(s: string): number {
    const p = this.p;
    if (s.length >= p) {
      let h = hashOf(s, 0, p);
      for (let i = 0; ; i++) {
        const rest = s.length - i;
        if (this.byHash.get(h)?.some((m) => m.length > rest && m.startsWith(s.slice(i)))) return i;
        if (i + p >= s.length) break;
        h = this.roll(h, s, i);
      }
    }
    for (let i = Math.max(0, s.length - p + 1); i < s.length; i++) if (this.shortPrefixes.has(s.slice(i))) return i;
    return s.length;
  }

  /** Masked text of `key`'s stream that is safe to show now. */
  push(key: string, data: Uint8Array): string {
    let p = this.pending.get(key);
    if (!p) this.pending.set(key, (p = { text: '', decoder: new StringDecoder('utf8') }));
    const s = this.redact(p.text + p.decoder.write(Buffer.from(data)));
    const cut = this.holdFrom(s);
    p.text = s.slice(cut);
    return s.slice(0, cut);
  }

  /** What `key`'s stream still holds (never a whole secret); the stream is forgotten. */
  flush(key: string): string {
    const p = this.pending.get(key);
    this.pending.delete(key);
    return p ? this.redact(p.text + p.decoder.end()) : '';
  }
}
