// A rune reader with the two calls BuildKit's lexer uses from Go's text/scanner:
// peek() and next(). Two text/scanner habits matter for byte-exactness and are
// kept: a U+FEFF at the very start of the input is skipped, and undecodable
// input reads as U+FFFD.

import { toRunes } from './unicode.ts';

/** Returned by peek()/next() at the end of input (text/scanner's EOF is -1 too). */
export const EOF = -1;

export class RuneScanner {
  private readonly runes: number[];
  private pos: number;

  constructor(text: string) {
    this.runes = toRunes(text);
    // text/scanner drops a byte-order mark only when it is the first character.
    this.pos = this.runes.length > 0 && this.runes[0] === 0xfeff ? 1 : 0;
  }

  peek(): number {
    return this.pos < this.runes.length ? this.runes[this.pos] : EOF;
  }

  next(): number {
    const ch = this.peek();
    if (ch !== EOF) this.pos++;
    return ch;
  }
}
