// Quote-aware word split used by ENV/LABEL (new form) and ARG. Quotes and escape
// characters stay in the words (the build step removes them later); whitespace
// inside '...' or "..." does not split. An escape outside single quotes keeps
// itself and the next character, so an escaped quote never opens a quoted part.

import { isGoSpace } from '../shell/unicode.ts';

const SPACES = 0;
const WORD = 1;
const QUOTE = 2;

/** Go writes an undecodable rune as U+FFFD; our lone surrogates are exactly those. */
function rune(ch: string): string {
  if (ch.length === 1) {
    const c = ch.charCodeAt(0);
    if (c >= 0xd800 && c <= 0xdfff) return '\ufffd';
  }
  return ch;
}

export function parseWords(rest: string, escapeToken: string): string[] {
  const chars = Array.from(rest);
  const n = chars.length;
  const words: string[] = [];
  let phase = SPACES;
  let quote = '';
  let blankOK = false;
  let sb = '';
  let ch = '';

  for (let pos = 0; pos <= n; pos++) {
    if (pos !== n) ch = chars[pos];
    if (phase === SPACES) {
      if (pos === n) break;
      if (isGoSpace(ch.codePointAt(0) as number)) continue;
      phase = WORD;
    }
    if (pos === n) {
      // End of input inside a word (or an unterminated quote): keep what we have.
      if (blankOK || sb.length > 0) words.push(sb);
      break;
    }
    if (phase === WORD) {
      if (isGoSpace(ch.codePointAt(0) as number)) {
        phase = SPACES;
        if (blankOK || sb.length > 0) words.push(sb);
        sb = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = QUOTE;
      }
      if (ch === escapeToken) {
        if (pos + 1 === n) continue; // an escape at the very end is dropped
        sb += rune(ch);
        pos++;
        ch = chars[pos];
      }
      sb += rune(ch);
      continue;
    }
    // phase === QUOTE
    if (ch === quote) phase = WORD;
    // Nothing can be escaped inside single quotes.
    if (ch === escapeToken && quote !== "'") {
      if (pos + 1 === n) {
        phase = WORD;
        continue;
      }
      pos++;
      sb += rune(ch);
      ch = chars[pos];
    }
    sb += rune(ch);
  }
  return words;
}
