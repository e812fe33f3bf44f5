import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reversePattern, shellPatternToRegExp, trimPrefix, trimSuffix } from './pattern.ts';

test('wildcards become regex, specials are escaped', () => {
  assert.is(shellPatternToRegExp('a*.?', false, true).source, '^a[^\\n]*?\\.[^\\n]');
  assert.is(shellPatternToRegExp('a*', true, false).source, 'a[^\\n]*');
  // `\}` and `\/` lose their backslash: they only protected the ${...} syntax.
  assert.ok(shellPatternToRegExp('\\}x\\/', true, false).test('}x/'));
});

test('an invalid escape is an error', () => {
  assert.throws(() => shellPatternToRegExp('\\q', true, false), /invalid escape/);
});

test('shortest and longest prefix/suffix', () => {
  assert.is(trimPrefix('*/', 'a/b/c', false), 'b/c');
  assert.is(trimPrefix('*/', 'a/b/c', true), 'c');
  assert.is(trimSuffix('/*', 'a/b/c', false), 'a/b');
  assert.is(trimSuffix('/*', 'a/b/c', true), 'a');
  assert.is(trimSuffix('x', 'abc', false), 'abc');
});

test('reversePattern keeps escape pairs', () => {
  assert.is(reversePattern('a\\*c'), 'c\\*a');
  assert.is(reversePattern('ab\\'), '\\ba');
});

test.run();
