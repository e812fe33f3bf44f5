// Masks secrets in output that arrives in chunks: a secret split across two
// chunks (a 64 KiB pipe read can cut it anywhere) must still become ****. Each
// stream keeps back the longest tail that could begin a secret until the next
// chunk, or the end, says what it is; bytes are decoded as UTF-8 across chunks.
import { StringDecoder } from 'node:string_decoder';

export const MASK = '****';

export class LogMasker {
  private masks: string[];
  private pending = new Map<string, { text: string; decoder: StringDecoder }>();
  constructor(masks: string[]) {
    this.masks = [...new Set(masks.filter((m) => m.length > 0))].sort((a, b) => b.length - a.length);
  }

  redact(s: string): string {
    let out = s;
    for (const m of this.masks) out = out.split(m).join(MASK);
    return out;
  }

  /** The length of the longest tail of s that is a proper prefix of a mask. */
  private heldBack(s: string): number {
    let keep = 0;
    for (const m of this.masks) {
      for (let k = Math.min(m.length - 1, s.length); k > keep; k--) {
        if (s.endsWith(m.slice(0, k))) {
          keep = k;
          break;
        }
      }
    }
    return keep;
  }

  /** Masked text of `key`'s stream that is safe to show now. */
  push(key: string, data: Uint8Array): string {
    let p = this.pending.get(key);
    if (!p) this.pending.set(key, (p = { text: '', decoder: new StringDecoder('utf8') }));
    const s = this.redact(p.text + p.decoder.write(Buffer.from(data)));
    const keep = this.heldBack(s);
    p.text = s.slice(s.length - keep);
    return s.slice(0, s.length - keep);
  }

  /** What `key`'s stream still holds (never a whole secret); the stream is forgotten. */
  flush(key: string): string {
    const p = this.pending.get(key);
    this.pending.delete(key);
    return p ? this.redact(p.text + p.decoder.end()) : '';
  }
}
