import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { goReplaceAll } from './go-replace.ts';

test('no double replacement after a match', () => {
  assert.is(goReplaceAll(/[^\n]*/gu, 'abc', 'X'), 'X');
  assert.is(goReplaceAll(/x*/gu, 'abc', '-'), '-a-b-c-');
});

test('Go template rules in the replacement', () => {
  assert.is(goReplaceAll(/b/gu, 'abc', '[$0]'), 'a[b]c');
  assert.is(goReplaceAll(/b/gu, 'abc', '[${0}]'), 'a[b]c');
  assert.is(goReplaceAll(/b/gu, 'abc', '$$'), 'a$c');
  assert.is(goReplaceAll(/b/gu, 'abc', '$1$name$'), 'a$c');
  assert.is(goReplaceAll(/b/gu, 'abc', '${x'), 'a${xc');
});

test.run();
