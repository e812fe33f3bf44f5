// Conversion errors point at the instruction: `Dockerfile:12:5: <what>`, and
// pretty() adds the line and a caret (the same shape as the parser's syntax
// errors), then an optional hint on what would be accepted.
import { PipekitError } from '@pipekit/wire';

export class DockerfileError extends PipekitError {
  file: string;
  line: number;
  column: number;
  sourceLine: string;
  /** the reason without the location prefix */
  reason: string;
  /** what the user could write instead (accepted flags, nearest instruction...) */
  hint: string;
  /** where the caret goes: the offending word when known, else the instruction */
  caretColumn: number;
  constructor(file: string, line: number, column: number, sourceLine: string, message: string, options?: { cause?: unknown; hint?: string; caretColumn?: number }) {
    super(line > 0 ? `${file}:${line}:${column}: ${message}` : `${file}: ${message}`, options);
    this.file = file;
    this.line = line;
    this.column = column;
    this.sourceLine = sourceLine;
    this.reason = message;
    this.hint = options?.hint ?? '';
    this.caretColumn = options?.caretColumn ?? column;
  }

  pretty(): string {
    let out = this.message;
    if (this.line > 0 && this.sourceLine !== '') {
      const num = String(this.line);
      const gutter = ' '.repeat(num.length);
      // keep tabs so the caret lines up under the column in a terminal
      const before = [...this.sourceLine].slice(0, Math.max(0, this.caretColumn - 1));
      const pad = before.map((ch) => (ch === '\t' ? '\t' : ' ')).join('');
      out += `\n ${num} | ${this.sourceLine}\n ${gutter} | ${pad}^`;
    }
    if (this.hint) out += `\n${this.hint}`;
    return out;
  }
}
