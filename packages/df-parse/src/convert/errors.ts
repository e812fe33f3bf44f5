// Conversion errors point at the instruction: `Dockerfile:12:1: <what>`, and
// pretty() adds the line and a caret, like the parser's syntax errors.
import { PipekitError } from '@pipekit/wire';

export class DockerfileError extends PipekitError {
  file: string;
  line: number;
  column: number;
  sourceLine: string;
  constructor(file: string, line: number, column: number, sourceLine: string, message: string, options?: { cause?: unknown }) {
    super(`${file}:${line}:${column}: ${message}`, options);
    this.file = file;
    this.line = line;
    this.column = column;
    this.sourceLine = sourceLine;
  }

  pretty(): string {
    if (!this.sourceLine) return this.message;
    return `${this.message}\n  ${this.sourceLine}\n  ${' '.repeat(Math.max(0, this.column - 1))}^`;
  }
}
