// Lossless bytes <-> string conversion. BuildKit works on Go strings, which are
// byte strings: invalid UTF-8 survives parsing and is dumped as `\xNN`. To keep
// ordinary JS strings everywhere and still lose nothing, an undecodable byte B
// (always >= 0x80) is carried as the lone surrogate U+DC00+B ("surrogateescape").
// Valid text is plain UTF-16, so callers never notice unless the input was broken.

const FATAL = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** First code unit used for an escaped byte; U+DC80..U+DCFF carry bytes 0x80..0xFF. */
const ESCAPE_BASE = 0xdc00;

/** Is this UTF-16 code unit an escaped raw byte (a lone low surrogate >= U+DC80)? */
export function isEscapedByte(unit: number): boolean {
  return unit >= 0xdc80 && unit <= 0xdcff;
}

/** Decode bytes like Go sees them; each invalid byte becomes an escaped-byte unit. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    // WHATWG "fatal" rejects exactly what Go's utf8.DecodeRune rejects.
    return FATAL.decode(bytes);
  } catch {
    return decodeSlow(bytes);
  }
}

function decodeSlow(b: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < b.length) {
    const n = validSequenceLength(b, i);
    if (n === 0) {
      out += String.fromCharCode(ESCAPE_BASE + b[i]);
      i++;
    } else {
      out += FATAL.decode(b.subarray(i, i + n));
      i += n;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence at b[i], or 0 if the byte is invalid there (Go rules). */
function validSequenceLength(b: Uint8Array, i: number): number {
  const x = b[i];
  if (x < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k] >= lo && b[i + k] <= hi;
  if (x < 0xc2) return 0;
  if (x < 0xe0) return cont(1) ? 2 : 0;
  if (x < 0xf0) {
    const lo = x === 0xe0 ? 0xa0 : 0x80;
    const hi = x === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (x < 0xf5) {
    const lo = x === 0xf0 ? 0x90 : 0x80;
    const hi = x === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** Encode back to the original bytes; escaped-byte units become their raw byte. */
export function encodeUtf8(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (isEscapedByte(cp)) out.push(cp - ESCAPE_BASE);
    else if (cp >= 0xd800 && cp <= 0xdfff) out.push(0xef, 0xbf, 0xbd); // other lone surrogates: U+FFFD
    else if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else {
      out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    }
  }
  return Uint8Array.from(out);
}
