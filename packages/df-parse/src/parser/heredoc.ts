// Heredoc markers (`<<EOF`, `<<-EOF`, `3<<"EOF"`) in an instruction line.
// The terminator word is always lexed with `\` as escape character, even when
// the file sets a backtick: that is what BuildKit does.

import { ShellLex } from '../shell/index.ts';
import { ParseProblem } from './errors.ts';
import type { Heredoc } from './node.ts';

// Go: ^(\d*)<<(-?)\s*([^<]*)$ with \s = [\t\n\f\r ]
const HEREDOC_WORD = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/u;
const UNSET = (): undefined => undefined;
const UINT64_MAX = 18446744073709551615n;

/** The heredoc described by one shell word, or null if the word is not a marker. */
export function parseHeredoc(word: string): Heredoc | null {
  const m = HEREDOC_WORD.exec(word);
  if (m === null) return null;
  const rest = m[3];
  if (rest === '') return null;

  const lex = new ShellLex('\\', { skipUnsetEnv: true });
  const words = lex.processWords(rest, UNSET);
  if (words.length !== 1) return null; // the terminator must be a single word
  // Lex again keeping quotes: if the counts differ, part of the word was quoted,
  // which turns expansion of the body off.
  lex.rawQuotes = true;
  const wordsRaw = lex.processWords(rest, UNSET);
  if (wordsRaw.length !== words.length) {
    throw new ParseProblem(`internal lexing of heredoc produced inconsistent results: ${rest}`, rest);
  }
  return {
    name: words[0],
    content: '',
    expand: countQuotes(words[0]) === countQuotes(wordsRaw[0]),
    chomp: m[2] === '-',
    fileDescriptor: parseFd(m[1]),
  };
}

/** All heredoc markers of a joined instruction line, in order. */
export function heredocsFromLine(line: string): Heredoc[] {
  const lex = new ShellLex('\\', { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  let words: string[];
  try {
    words = lex.processWords(line, UNSET);
  } catch {
    words = []; // upstream ignores a lexing failure here: no heredocs at all
  }
  const docs: Heredoc[] = [];
  for (const word of words) {
    const doc = parseHeredoc(word);
    if (doc !== null) docs.push(doc);
  }
  return docs;
}

/** Remove leading tabs from every line, as `<<-` asks (applied at build time). */
export function chompHeredocContent(src: string): string {
  return src.replace(/(^|\n)\t+/g, '$1');
}

function countQuotes(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === "'" || ch === '"') n++;
  return n;
}

/** strconv.ParseUint semantics: "" -> 0, overflow -> the uint64 maximum. */
function parseFd(digits: string): number {
  if (digits === '') return 0;
  const v = BigInt(digits);
  return Number(v > UINT64_MAX ? UINT64_MAX : v);
}
