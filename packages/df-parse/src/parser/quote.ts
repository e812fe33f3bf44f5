// Go's strconv.Quote, which BuildKit's AST dump uses for every value. The escape
// set and the notion of "printable" both follow Go, not JSON.stringify.

import { decodeUtf8, isEscapedByte } from './utf8.ts';

// Go's IsPrint beyond Latin-1: letters, marks, numbers, punctuation, symbols.
const GRAPHIC = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

const SHORT_ESCAPES: Record<number, string> = {
  0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v',
};

/** Quote a string (or raw bytes) exactly like Go's strconv.Quote. */
export function goQuote(s: string | Uint8Array): string {
  const text = typeof s === 'string' ? s : decodeUtf8(s);
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    out += quoteRune(cp);
  }
  return out + '"';
}

function quoteRune(cp: number): string {
  if (isEscapedByte(cp)) return '\\x' + hex(cp & 0xff, 2); // an undecodable input byte
  if (cp === 0x22) return '\\"';
  if (cp === 0x5c) return '\\\\';
  if (isGoPrint(cp)) return String.fromCodePoint(cp);
  const short = SHORT_ESCAPES[cp];
  if (short !== undefined) return short;
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hex(cp, 2);
  if (cp >= 0xd800 && cp <= 0xdfff) return '\\ufffd'; // not a valid rune: Go substitutes U+FFFD
  if (cp < 0x10000) return '\\u' + hex(cp, 4);
  return '\\U' + hex(cp, 8);
}

/** Go's strconv.IsPrint. */
export function isGoPrint(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7f;
  if (cp < 0x100) return cp >= 0xa1 && cp !== 0xad;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  return GRAPHIC.test(String.fromCodePoint(cp));
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}
