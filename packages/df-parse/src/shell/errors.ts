// The one error the shell lexer throws: bad syntax (`${}`, unterminated quotes,
// unsupported modifiers) or a `${VAR?msg}` / `${VAR:?msg}` check that failed.

export class ShellExpansionError extends Error {
  /** the word being processed when the error happened */
  word: string;
  /** the bare reason, without the "failed to process" prefix */
  reason: string;

  constructor(reason: string, word = '') {
    // Same shape as BuildKit's wrapped error: failed to process "<word>": <reason>
    super(word === '' ? reason : `failed to process ${JSON.stringify(word)}: ${reason}`);
    this.name = 'ShellExpansionError';
    this.word = word;
    this.reason = reason;
  }
}
