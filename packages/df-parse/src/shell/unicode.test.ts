import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isGoDigit, isGoLetter, isGoSpace, runeToString, toRunes } from './unicode.ts';

test('Go IsSpace differs from JS \\s', () => {
  assert.ok(isGoSpace(0x85));
  assert.ok(isGoSpace(0xa0));
  assert.ok(isGoSpace(0x3000));
  assert.not.ok(isGoSpace(0xfeff));
  assert.not.ok(isGoSpace(0x200b));
});

test('letters and digits are Unicode-aware', () => {
  assert.ok(isGoLetter('한'.codePointAt(0) as number));
  assert.ok(isGoDigit(0x663)); // Arabic-Indic three
  assert.not.ok(isGoLetter(0x5f));
});

test('rune helpers', () => {
  assert.equal(toRunes('a\ud800b'), [0x61, 0xfffd, 0x62]);
  assert.is(runeToString(-1), '\ufffd');
});

test.run();
