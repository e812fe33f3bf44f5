// Shell wildcard patterns for `${x#pat}`, `${x%pat}` and `${x/pat/repl}`.
// Only `*` and `?` are wildcards (no bracket expressions), as in BuildKit. Patterns
// become regular expressions; Go's `.` does not match "\n", so neither does ours
// (JS `.` would also refuse "\r", U+2028 and U+2029).

import { ShellExpansionError } from './errors.ts';
import { RuneScanner, EOF } from './scanner.ts';
import { runeToString, toRunes } from './unicode.ts';

const ANY = '[^\\n]';
const REGEX_SPECIAL = new Set(['[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$']);

/**
 * Translate a shell pattern into a RegExp source. `greedy` picks `*` = longest
 * (else shortest); `anchored` pins the match to the start of the value.
 */
export function shellPatternToRegExp(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  const s = new RuneScanner(pattern);
  let out = anchored ? '^' : '';
  const star = greedy ? `${ANY}*` : `${ANY}*?`;
  for (let tok = s.next(); tok !== EOF; tok = s.next()) {
    let ch = runeToString(tok);
    if (ch === '*') {
      out += star;
      continue;
    }
    if (ch === '?') {
      out += ANY;
      continue;
    }
    if (ch === '\\') {
      // `\}` and `\/` were escaped only to get past the ${...} parser; the
      // backslash is not part of the pattern itself.
      const nextCh = s.peek();
      if (nextCh === 0x7d || nextCh === 0x2f) continue;
      out += '\\';
      const escaped = s.next();
      ch = runeToString(escaped);
      if (ch !== '*' && ch !== '?' && ch !== '\\') {
        throw new ShellExpansionError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${ch}'`);
      }
    } else if (REGEX_SPECIAL.has(ch)) {
      out += '\\';
    }
    out += ch;
  }
  return new RegExp(out, 'gu');
}

/** `${value#pattern}` / `${value##pattern}`: drop the matching prefix. */
export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const re = shellPatternToRegExp(pattern, greedy, true);
  re.lastIndex = 0;
  const m = re.exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

/**
 * `${value%pattern}` / `${value%%pattern}`: drop the matching suffix. A regex finds
 * leftmost matches only, so (like BuildKit) reverse both value and pattern.
 */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const reversed = trimPrefix(reversePattern(pattern), reverseRunes(value), greedy);
  return reverseRunes(reversed);
}

/** Reverse a pattern but keep each `\x` escape pair in order (a\*c -> c\*a). */
export function reversePattern(pattern: string): string {
  const runes = toRunes(pattern);
  const out: number[] = new Array(runes.length);
  const last = runes.length - 1;
  for (let i = 0; i <= last;) {
    const outIdx = last - i;
    if (runes[i] === 0x5c && i !== last) {
      out[outIdx - 1] = runes[i];
      out[outIdx] = runes[i + 1];
      i += 2;
    } else {
      out[outIdx] = runes[i];
      i++;
    }
  }
  return out.map(runeToString).join('');
}

function reverseRunes(s: string): string {
  return toRunes(s).reverse().map(runeToString).join('');
}
