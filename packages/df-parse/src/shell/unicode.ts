// Go's `unicode` predicates, re-expressed for code points. BuildKit decides word
// boundaries and variable names with these, and JavaScript's `\s` / `\w` differ
// from them (JS `\s` includes U+FEFF and excludes U+0085), so we cannot reuse them.

const LETTER = /^\p{L}$/u;
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/** Go `unicode.IsSpace`: ASCII blanks, NEL, NBSP, and the Unicode White_Space set. */
export function isGoSpace(cp: number): boolean {
  if (cp <= 0xff) {
    return cp === 0x09 || cp === 0x0a || cp === 0x0b || cp === 0x0c || cp === 0x0d ||
      cp === 0x20 || cp === 0x85 || cp === 0xa0;
  }
  return cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 ||
    cp === 0x202f || cp === 0x205f || cp === 0x3000;
}

/** Go `unicode.IsLetter` (general category L). */
export function isGoLetter(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
  return cp <= 0x10ffff && LETTER.test(String.fromCodePoint(cp));
}

/** Go `unicode.IsDigit` (general category Nd, so non-ASCII digits count too). */
export function isGoDigit(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x30 && cp <= 0x39;
  return cp <= 0x10ffff && DECIMAL_DIGIT.test(String.fromCodePoint(cp));
}

/**
 * Split a JS string into code points the way Go sees a UTF-8 string: a lone
 * surrogate (which is how we carry an undecodable byte, see parser/utf8.ts)
 * becomes U+FFFD, exactly as Go's decoders turn a bad byte into RuneError.
 */
export function toRunes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
        i++;
        continue;
      }
    }
    out.push(c >= 0xd800 && c <= 0xdfff ? 0xfffd : c);
  }
  return out;
}

/** Go's `string(rune)`: an invalid rune (EOF, surrogate, out of range) becomes U+FFFD. */
export function runeToString(cp: number): string {
  if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(cp);
}
