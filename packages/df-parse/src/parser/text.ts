// Go `strings`/`bytes` helpers whose exact behaviour the parser depends on:
// which characters count as space (Go's unicode.IsSpace, not JS trim()), how
// regexp.Split treats the edges, and rune-by-rune lower-casing.

import { isGoSpace } from '../shell/unicode.ts';

function codePointBefore(s: string, end: number): { cp: number; width: number } {
  const lo = s.charCodeAt(end - 1);
  if (lo >= 0xdc00 && lo <= 0xdfff && end >= 2) {
    const hi = s.charCodeAt(end - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return { cp: s.codePointAt(end - 2) as number, width: 2 };
  }
  return { cp: lo, width: 1 };
}

/** Go strings.TrimLeftFunc(s, unicode.IsSpace). */
export function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i) as number;
    if (!isGoSpace(cp)) break;
    i += cp > 0xffff ? 2 : 1;
  }
  return s.slice(i);
}

/** Go strings.TrimSpace. */
export function trimSpace(s: string): string {
  const left = trimLeftSpace(s);
  let end = left.length;
  while (end > 0) {
    const { cp, width } = codePointBefore(left, end);
    if (!isGoSpace(cp)) break;
    end -= width;
  }
  return left.slice(0, end);
}

/** bytes.TrimRight(line, "\r\n"): drop every trailing CR and LF. */
export function trimNewline(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === '\n' || s[end - 1] === '\r')) end--;
  return s.slice(0, end);
}

/** Strip leading tab characters (heredoc `<<-` terminator matching). */
export function trimLeadingTabs(s: string): string {
  let i = 0;
  while (i < s.length && s[i] === '\t') i++;
  return s.slice(i);
}

/**
 * Go's regexp.MustCompile(`[\t\v\f\r ]+`).Split(s, n). Note that only these ASCII
 * blanks separate here (not NBSP), and an empty input gives [""].
 */
export function splitWhitespace(s: string, n: number): string[] {
  if (n === 0) return [];
  if (s === '') return [''];
  const re = /[\t\v\f\r ]+/g;
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  let found = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    if (n > 0 && (found >= n || out.length === n - 1)) break;
    found++;
    end = m.index;
    const matchEnd = m.index + m[0].length;
    if (matchEnd !== 0) out.push(s.slice(beg, end));
    beg = matchEnd;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

/**
 * Go strings.ToLower: simple (one-to-one) case mapping per rune, and an
 * undecodable byte becomes U+FFFD. JS toLowerCase uses full mappings (U+0130
 * gives two characters) and context (final sigma), so map rune by rune.
 */
export function toLowerGo(s: string): string {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return s.toLowerCase();
  let out = '';
  for (const ch of s) {
    const unit = ch.charCodeAt(0);
    if (ch.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      out += '\ufffd';
      continue;
    }
    const lower = ch.toLowerCase();
    out += String.fromCodePoint(lower.codePointAt(0) as number);
  }
  return out;
}
