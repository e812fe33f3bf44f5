// ShellLex: BuildKit's shell-word lexer (frontend/dockerfile/shell). It expands
// `$VAR` / `${VAR...}`, removes quotes, processes the escape character, and can
// split the result into words. Unix semantics: variable names are case-sensitive.

import { ShellExpansionError } from './errors.ts';
import { EOF } from './scanner.ts';
import { ShellWord, type Env } from './shell-word.ts';

export type { Env };

export type ShellLexOptions = {
  /** Leave quote characters alone (used to expand heredoc bodies). */
  skipProcessQuotes?: boolean;
  /** Keep the quote characters in the output while still honouring them. */
  rawQuotes?: boolean;
  /** Keep escape characters in the output while still honouring them. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written instead of expanding to "". */
  skipUnsetEnv?: boolean;
};

export type WordWithMatches = {
  result: string;
  words: string[];
  /** names that were looked up and set */
  matched: Set<string>;
  /** names that were looked up and unset */
  unmatched: Set<string>;
};

export class ShellLex {
  readonly escapeToken: string;
  skipProcessQuotes: boolean;
  rawQuotes: boolean;
  rawEscapes: boolean;
  skipUnsetEnv: boolean;

  constructor(escapeToken = '\\', options: ShellLexOptions = {}) {
    if ([...escapeToken].length !== 1) throw new TypeError(`escape token must be one character, got ${JSON.stringify(escapeToken)}`);
    this.escapeToken = escapeToken;
    this.skipProcessQuotes = options.skipProcessQuotes ?? false;
    this.rawQuotes = options.rawQuotes ?? false;
    this.rawEscapes = options.rawEscapes ?? false;
    this.skipUnsetEnv = options.skipUnsetEnv ?? false;
  }

  /** Expand and unquote `word` into one string; whitespace is kept. */
  processWord(word: string, env: Env): string {
    return this.run(word, env, true).result;
  }

  /** Expand and unquote `word`, then split it on unquoted whitespace. */
  processWords(word: string, env: Env): string[] {
    return this.run(word, env, false).words;
  }

  /** Like processWord, also reporting which variable names were set or unset. */
  processWordWithMatches(word: string, env: Env): WordWithMatches {
    return this.run(word, env, true);
  }

  private run(word: string, env: Env, capture: boolean): WordWithMatches {
    const sw = new ShellWord(word, env, {
      escapeToken: this.escapeToken.codePointAt(0) as number,
      rawQuotes: this.rawQuotes,
      rawEscapes: this.rawEscapes,
      skipProcessQuotes: this.skipProcessQuotes,
      skipUnsetEnv: this.skipUnsetEnv,
      capture,
    });
    try {
      const { text, words } = sw.processStopOn(EOF, this.rawEscapes);
      return { result: text, words, matched: sw.matched, unmatched: sw.unmatched };
    } catch (err) {
      if (err instanceof ShellExpansionError) throw new ShellExpansionError(err.reason, word);
      throw err;
    }
  }
}
