// Physical-line reader, the equivalent of BuildKit's bufio.Scanner with a split
// function that keeps line endings. Lines are split on "\n" only; the ending stays
// on the line (heredoc bodies need it verbatim). Like bufio.Scanner with its
// default 64 KiB limit, a line that does not fit stops the scan and is reported
// as an error once parsing ends.

import { decodeUtf8 } from './utf8.ts';

/** bufio.MaxScanTokenSize: the largest buffer the reference scanner will grow to. */
const MAX_TOKEN = 64 * 1024;

export class LineScanner {
  /** the current line including its "\n" (if any), decoded losslessly */
  line = '';
  /** set when a line longer than the limit stopped the scan */
  tooLong = false;
  /** every physical line read so far, without line endings (for error messages) */
  readonly seen: string[] = [];
  private readonly data: Uint8Array;
  private pos = 0;

  constructor(data: Uint8Array) {
    this.data = data;
  }

  /** Advance to the next line; false at end of input (or after a too-long line). */
  scan(): boolean {
    if (this.tooLong || this.pos >= this.data.length) return false;
    const nl = this.data.indexOf(0x0a, this.pos);
    const end = nl < 0 ? this.data.length : nl + 1;
    // With its newline a line may fill the whole buffer; the last, unterminated
    // line needs one spare byte for the scanner to notice end of input.
    const limit = nl < 0 ? MAX_TOKEN - 1 : MAX_TOKEN;
    if (end - this.pos > limit) {
      this.tooLong = true;
      return false;
    }
    this.line = decodeUtf8(this.data.subarray(this.pos, end));
    this.pos = end;
    this.seen.push(this.line.replace(/\r?\n$/, ''));
    return true;
  }

  /** The physical line with this 1-based number, without its ending ("" if unknown). */
  sourceLine(lineNo: number): string {
    return this.seen[lineNo - 1] ?? '';
  }
}
