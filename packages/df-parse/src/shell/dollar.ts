// `$name`, `${name}` and `${name<op>word}` expansion, following BuildKit's
// rules: unknown operators and malformed braces are errors, the operand word is
// itself expanded, and in "skip unset" mode an unset reference is left as text.

import { ShellExpansionError } from './errors.ts';
import { goReplaceAll } from './go-replace.ts';
import { shellPatternToRegExp, trimPrefix, trimSuffix } from './pattern.ts';
import { EOF } from './scanner.ts';
import type { ShellWord } from './shell-word.ts';
import { isGoDigit, isGoLetter, runeToString } from './unicode.ts';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COLON = 0x3a;
const SLASH = 0x2f;

/** Called with the scanner on a `$`; returns the text that replaces the reference. */
export function processDollar(sw: ShellWord): string {
  const s = sw.scanner;
  s.next();

  if (s.peek() !== OPEN_BRACE) {
    const name = processName(sw);
    if (name === '') return '$'; // `$` followed by a non-name is literal
    const value = sw.getEnv(name);
    if (value === undefined && sw.skipUnsetEnv) return '$' + name;
    return value ?? '';
  }

  s.next();
  const first = s.peek();
  if (first === EOF) throw new ShellExpansionError("syntax error: missing '}'");
  if (first === OPEN_BRACE || first === CLOSE_BRACE || first === COLON) {
    throw new ShellExpansionError('syntax error: bad substitution');
  }
  const name = processName(sw);
  let ch = s.next();
  let op = runeToString(ch);

  if (ch === CLOSE_BRACE) {
    const value = sw.getEnv(name);
    if (value === undefined && sw.skipUnsetEnv) return `\${${name}}`;
    return value ?? '';
  }
  if (ch === SLASH) return processReplace(sw, name);

  let nullIsUnset = false;
  if (ch === COLON) {
    // `:` makes an empty value count as unset; whatever follows is the operator.
    nullIsUnset = true;
    ch = s.next();
    op += runeToString(ch);
  } else if (!isModifier(ch)) {
    throw new ShellExpansionError(`unsupported modifier (${op}) in substitution`);
  }

  const rawEscapes = ch === 0x23 || ch === 0x25; // # and % keep escapes for the pattern
  if (nullIsUnset && rawEscapes) {
    throw new ShellExpansionError(`unsupported modifier (${op}) in substitution`);
  }
  let word: string;
  try {
    word = sw.processStopOn(CLOSE_BRACE, rawEscapes).text;
  } catch (err) {
    if (s.peek() === EOF) throw new ShellExpansionError("syntax error: missing '}'");
    throw err;
  }

  const value = sw.getEnv(name);
  if (sw.skipUnsetEnv && value === undefined) return `\${${name}${op}${word}}`;
  const unset = value === undefined || (nullIsUnset && value === '');

  switch (runeToString(ch)) {
    case '-':
      return unset ? word : (value as string);
    case '+':
      return unset ? '' : word;
    case '?':
      if (value === undefined) {
        throw new ShellExpansionError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
      }
      if (nullIsUnset && value === '') {
        throw new ShellExpansionError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
      }
      return value;
    case '%':
    case '#': {
      // One `%`/`#` is the shortest match, a doubled one the longest.
      const opChar = runeToString(ch);
      let pattern = word;
      const greedy = pattern.startsWith(opChar);
      if (greedy) pattern = pattern.slice(1);
      const v = value ?? '';
      return opChar === '%' ? trimSuffix(pattern, v, greedy) : trimPrefix(pattern, v, greedy);
    }
    default:
      throw new ShellExpansionError(`unsupported modifier (${op}) in substitution`);
  }
}

function isModifier(ch: number): boolean {
  return ch === 0x2b || ch === 0x2d || ch === 0x3f || ch === 0x23 || ch === 0x25;
}

/** `${name/pattern/replacement}` and `${name//pattern/replacement}`. */
function processReplace(sw: ShellWord, name: string): string {
  const s = sw.scanner;
  const replaceAll = s.peek() === SLASH;
  if (replaceAll) s.next();

  let pattern: string;
  try {
    pattern = sw.processStopOn(SLASH, true).text;
  } catch (err) {
    if (s.peek() === EOF) throw new ShellExpansionError("syntax error: missing '/' in ${}");
    throw err;
  }
  let replacement: string;
  try {
    replacement = sw.processStopOn(CLOSE_BRACE, true).text;
  } catch (err) {
    if (s.peek() === EOF) throw new ShellExpansionError("syntax error: missing '}'");
    throw err;
  }

  const value = sw.getEnv(name);
  if (sw.skipUnsetEnv && value === undefined) return `\${${name}/${pattern}/${replacement}}`;
  const v = value ?? '';
  const re = shellPatternToRegExp(pattern, true, false);
  if (replaceAll) return goReplaceAll(re, v, replacement);
  re.lastIndex = 0;
  const m = re.exec(v);
  if (m === null) return v;
  // A single replacement is literal: no template expansion here.
  return v.slice(0, m.index) + replacement + v.slice(m.index + m[0].length);
}

/** A name: letters, digits, `_`; or a run of digits; or one special parameter. */
function processName(sw: ShellWord): string {
  const s = sw.scanner;
  let name = '';
  while (s.peek() !== EOF) {
    const ch = s.peek();
    if (name === '' && isGoDigit(ch)) {
      while (s.peek() !== EOF && isGoDigit(s.peek())) name += runeToString(s.next());
      return name;
    }
    if (name === '' && isSpecialParam(ch)) {
      s.next();
      return runeToString(ch);
    }
    if (!isGoLetter(ch) && !isGoDigit(ch) && ch !== 0x5f) break;
    name += runeToString(s.next());
  }
  return name;
}

/** POSIX special parameters: @ * # ? - $ ! 0 */
function isSpecialParam(ch: number): boolean {
  return ch === 0x40 || ch === 0x2a || ch === 0x23 || ch === 0x3f || ch === 0x2d ||
    ch === 0x24 || ch === 0x21 || ch === 0x30;
}
