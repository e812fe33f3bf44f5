// DockerfileSyntaxError: a parse failure tied to a place in the Dockerfile, with
// a compiler-style message ("Dockerfile:12:5: reason") and a pretty() view that
// shows the offending line with a caret under the column.

export type SourceLocation = {
  /** file name used in messages; defaults to "Dockerfile" */
  file?: string;
  /** 1-based line */
  line: number;
  /** 1-based column in code points; defaults to 1 */
  column?: number;
  /** the physical source line (without its newline) */
  sourceLine?: string;
};

export class DockerfileSyntaxError extends Error {
  file: string;
  line: number;
  column: number;
  sourceLine: string;
  /** the reason without the location prefix */
  reason: string;

  constructor(reason: string, loc: SourceLocation, options?: { cause?: unknown }) {
    const file = loc.file ?? 'Dockerfile';
    const column = loc.column ?? 1;
    super(`${file}:${loc.line}:${column}: ${reason}`, options);
    this.name = 'DockerfileSyntaxError';
    this.file = file;
    this.line = loc.line;
    this.column = column;
    this.sourceLine = loc.sourceLine ?? '';
    this.reason = reason;
  }

  /** The message, then the source line and a caret under the column. */
  pretty(): string {
    const num = String(this.line);
    const gutter = ' '.repeat(num.length);
    // Keep tabs from the source in the caret line so the caret lines up in a terminal.
    const before = [...this.sourceLine].slice(0, Math.max(0, this.column - 1));
    const pad = before.map((ch) => (ch === '\t' ? '\t' : ' ')).join('');
    return `${this.message}\n ${num} | ${this.sourceLine}\n ${gutter} | ${pad}^`;
  }
}

/**
 * Internal: a failure found by a helper that does not know where it is. The parse
 * loop catches it and rethrows a DockerfileSyntaxError at the instruction's line.
 * `near` is a piece of source text to point the caret at, when known.
 */
export class ParseProblem extends Error {
  near?: string;
  constructor(reason: string, near?: string) {
    super(reason);
    this.name = 'ParseProblem';
    this.near = near;
  }
}
