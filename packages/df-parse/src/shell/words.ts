// Word splitting for ProcessWords. Characters arrive one at a time; unquoted
// whitespace ends a word, while "raw" additions (quoted text, escaped characters,
// `<<` markers) never split.
//
// The text of the word being built lives in a buffer that is shared by every
// nesting level of one lexer run. Upstream reuses a single builder and clears it
// each time a nested `${x:-word}` starts, so any partial word before such an
// expansion is lost from the word list. We keep that behaviour on purpose so
// that ProcessWords gives the same list as BuildKit.

import { isGoSpace } from './unicode.ts';

/** The buffer shared across nesting levels (see the file comment). */
export type SharedWordBuffer = { text: string };

export class WordCollector {
  private readonly buf: SharedWordBuffer;
  private readonly words: string[] = [];
  private inWord = false;

  constructor(buf: SharedWordBuffer) {
    this.buf = buf;
  }

  /** An unquoted character: whitespace may end the current word. */
  addChar(ch: number): void {
    const space = isGoSpace(ch);
    if (space && this.inWord) {
      if (this.buf.text.length !== 0) {
        this.words.push(this.buf.text);
        this.buf.text = '';
        this.inWord = false;
      }
    } else if (!space) {
      this.addRawChar(ch);
    }
  }

  /** A character that belongs to the word whatever it is (escaped or quoted). */
  addRawChar(ch: number): void {
    this.buf.text += String.fromCodePoint(ch);
    this.inWord = true;
  }

  /** Text from an unquoted expansion: its whitespace splits words. */
  addString(s: string): void {
    for (const ch of s) this.addChar(ch.codePointAt(0) as number);
  }

  /** Quoted text: kept whole, and it marks the word as started even when empty. */
  addRawString(s: string): void {
    this.buf.text += s;
    this.inWord = true;
  }

  /** Finish: flush a pending non-empty word and return the list. */
  getWords(): string[] {
    if (this.buf.text.length > 0) {
      this.words.push(this.buf.text);
      this.buf.text = '';
      this.inWord = false;
    }
    return this.words;
  }
}
