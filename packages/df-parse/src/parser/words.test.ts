import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseWords } from './words.ts';

test('quotes group words and stay in them', () => {
  assert.equal(parseWords('a="b c" d=\'e f\' g', '\\'), ['a="b c"', "d='e f'", 'g']);
});

test('escapes keep themselves and the next character', () => {
  assert.equal(parseWords('a\\ b c\\"d e', '\\'), ['a\\ b', 'c\\"d', 'e']);
  assert.equal(parseWords('a\\', '\\'), ['a']);
  assert.equal(parseWords("'a\\' b", '\\'), ["'a\\'", 'b']);
});

test('unicode whitespace separates; an empty quoted word survives', () => {
  assert.equal(parseWords('a\u00a0b ""', '\\'), ['a', 'b', '""']);
});

test('backtick escape', () => {
  assert.equal(parseWords('a` b c\\ d', '`'), ['a` b', 'c\\', 'd']);
});

test('undecodable bytes become U+FFFD, as Go writes RuneError', () => {
  assert.equal(parseWords('k=\udcff', '\\'), ['k=\ufffd']);
});

test.run();
