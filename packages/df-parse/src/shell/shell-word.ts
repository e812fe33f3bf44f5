// One run of the lexer over one input word: quotes, escapes, `<<` markers, and
// dispatch to `$` expansion. Mirrors BuildKit's shellWord step by step, because
// the observable results (including its quirks) are what we must match.

import { processDollar } from './dollar.ts';
import { ShellExpansionError } from './errors.ts';
import { EOF, RuneScanner } from './scanner.ts';
import { runeToString } from './unicode.ts';
import { WordCollector, type SharedWordBuffer } from './words.ts';

/** Variable lookup: undefined means unset (set-but-empty is ""). */
export type Env = (name: string) => string | undefined;

export type ShellWordOptions = {
  escapeToken: number;
  rawQuotes: boolean;
  rawEscapes: boolean;
  skipProcessQuotes: boolean;
  skipUnsetEnv: boolean;
  capture: boolean;
};

const DOLLAR = 0x24;
const LT = 0x3c;
const SQUOTE = 0x27;
const DQUOTE = 0x22;

export class ShellWord {
  readonly scanner: RuneScanner;
  readonly opts: ShellWordOptions;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private readonly env: Env;
  private readonly wordsBuffer: SharedWordBuffer = { text: '' };
  private rawEscapes: boolean;

  constructor(word: string, env: Env, opts: ShellWordOptions) {
    this.scanner = new RuneScanner(word);
    this.env = env;
    this.opts = opts;
    this.rawEscapes = opts.rawEscapes;
  }

  get skipUnsetEnv(): boolean {
    return this.opts.skipUnsetEnv;
  }

  /** Look a name up, recording it as used or missing for ProcessWordWithMatches. */
  getEnv(name: string): string | undefined {
    const v = this.env(name);
    if (this.opts.capture) (v === undefined ? this.unmatched : this.matched).add(name);
    return v;
  }

  /**
   * Process until `stopChar` (consumed) or end of input. Returns the processed
   * text and its word split. Reaching the end while a stop char is expected is an
   * error. `rawEscapes` keeps escape characters in the output for this level.
   */
  processStopOn(stopChar: number, rawEscapes: boolean): { text: string; words: string[] } {
    let result = '';
    this.wordsBuffer.text = ''; // upstream quirk, see words.ts
    const words = new WordCollector(this.wordsBuffer);
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      const s = this.scanner;
      const esc = this.opts.escapeToken;
      while (s.peek() !== EOF) {
        const ch = s.peek();
        if (stopChar !== EOF && ch === stopChar) {
          s.next();
          return { text: result, words: words.getWords() };
        }
        const special = ch === DOLLAR || ch === LT ||
          (!this.opts.skipProcessQuotes && (ch === SQUOTE || ch === DQUOTE));
        if (special) {
          const tmp = ch === DOLLAR ? processDollar(this) : ch === LT
            ? this.processPossibleHeredoc() : ch === SQUOTE
            ? this.processSingleQuote() : this.processDoubleQuote();
          result += tmp;
          // Only unquoted expansions are subject to word splitting.
          if (ch === DOLLAR) words.addString(tmp);
          else words.addRawString(tmp);
          continue;
        }
        let c = s.next();
        if (c === esc) {
          if (this.rawEscapes) {
            words.addRawChar(c);
            result += runeToString(c);
          }
          c = s.next();
          if (c === EOF) break; // an escape at the very end is dropped
          words.addRawChar(c);
        } else {
          words.addChar(c);
        }
        result += runeToString(c);
      }
      if (stopChar !== EOF) {
        throw new ShellExpansionError(
          `unexpected end of statement while looking for matching ${runeToString(stopChar)}`,
        );
      }
      return { text: result, words: words.getWords() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  /** '...': everything literal up to the next single quote; nothing escapes. */
  private processSingleQuote(): string {
    const s = this.scanner;
    let result = '';
    const open = s.next();
    if (this.opts.rawQuotes) result += runeToString(open);
    for (;;) {
      const ch = s.next();
      if (ch === EOF) {
        throw new ShellExpansionError('unexpected end of statement while looking for matching single-quote');
      }
      if (ch === SQUOTE) {
        if (this.opts.rawQuotes) result += "'";
        return result;
      }
      result += runeToString(ch);
    }
  }

  /** "...": `$` expands; the escape char escapes only `"`, `$` and itself. */
  private processDoubleQuote(): string {
    const s = this.scanner;
    const esc = this.opts.escapeToken;
    let result = '';
    const open = s.next();
    if (this.opts.rawQuotes) result += runeToString(open);
    for (;;) {
      const peek = s.peek();
      if (peek === EOF) {
        throw new ShellExpansionError('unexpected end of statement while looking for matching double-quote');
      }
      if (peek === DQUOTE) {
        s.next();
        if (this.opts.rawQuotes) result += '"';
        return result;
      }
      if (peek === DOLLAR) {
        result += processDollar(this);
        continue;
      }
      let ch = s.next();
      if (ch === esc) {
        if (this.rawEscapes) result += runeToString(ch);
        const after = s.peek();
        if (after === EOF) continue; // the loop then reports the missing quote
        if (after === DQUOTE || after === DOLLAR || after === esc) ch = s.next();
        // Any other escape stays as written (and is doubled in raw-escape mode,
        // exactly like upstream).
      }
      result += runeToString(ch);
    }
  }

  /** `<<` plus any blanks after it stay glued to the next word (heredoc markers). */
  private processPossibleHeredoc(): string {
    const s = this.scanner;
    s.next();
    if (s.peek() !== LT) return '<';
    s.next();
    let space = '';
    for (let ch = s.peek(); ch === 0x09 || ch === 0x0d || ch === 0x20; ch = s.peek()) {
      space += runeToString(ch);
      s.next();
    }
    return '<<' + space;
  }
}
