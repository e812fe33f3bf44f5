import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PatternMatcher } from './dockerignore.ts';

const cases: [string[], string, boolean][] = [
  [['*.txt'], 'a.txt', true],
  [['*.txt'], 'dir/a.txt', false],
  [['**/*.txt'], 'dir/sub/a.txt', true],
  [['**/*.txt'], 'a.txt', true],
  [['node_modules'], 'node_modules/x/y.js', true],
  [['dir/**'], 'dir/a/b', true],
  [['dir/**'], 'dirx/a', false],
  [['*', '!keep.txt'], 'keep.txt', false],
  [['*', '!keep.txt'], 'other.txt', true],
  [['*.md', '!README.md', 'README.md'], 'README.md', true],
  [['a?c'], 'abc', true],
  [['a?c'], 'a/c', false],
  [['[ab].txt'], 'b.txt', true],
  [['/abs/path'], 'abs/path', true],
  [['./rel'], 'rel/x', true],
  [['**'], 'anything/at/all', true],
  [['**/foo'], 'foo', true],
  [['**/foo'], 'x/y/foo', true],
  [['secret', '!secret/public'], 'secret/public/a', false],
  [['secret', '!secret/public'], 'secret/private', true],
];

for (const [pats, file, want] of cases) {
  test(`${JSON.stringify(pats)} ${want ? 'matches' : 'does not match'} ${file}`, () => {
    assert.is(new PatternMatcher(pats).matches(file), want);
  });
}

test('exclusions are reported (a dir matching may still hold re-included files)', () => {
  assert.ok(new PatternMatcher(['a', '!a/b']).hasExclusions);
  assert.not.ok(new PatternMatcher(['a']).hasExclusions);
});

test.run();
