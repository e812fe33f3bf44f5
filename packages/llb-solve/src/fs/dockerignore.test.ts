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

// wholeDirs: what a change-finding walk may skip; never a pattern that needs matching
const WHOLE: [string[], { paths: string[]; names: string[] }][] = [
  [['node_modules', '/.git/', 'build/out'], { paths: ['node_modules', '.git', 'build/out'], names: [] }],
  [['**/node_modules', '**/.cache'], { paths: [], names: ['node_modules', '.cache'] }],
  [['*.log', 'tmp*', '**/a/b', 'dir/**', 'a?c', 'x[ab]', 'es\\caped'], { paths: [], names: [] }],
  [['node_modules', 'keep', '!keep/this'], { paths: [], names: [] }],
  [[], { paths: [], names: [] }],
];
for (const [pats, want] of WHOLE) {
  test(`wholeDirs of ${JSON.stringify(pats)}`, () => {
    assert.equal(new PatternMatcher(pats).wholeDirs(), want);
    for (const p of want.paths) assert.ok(new PatternMatcher(pats).matches(`${p}/any/file`), p);
    for (const n of want.names) assert.ok(new PatternMatcher(pats).matches(`deep/in/${n}/file`), n);
  });
}

test('text: the same patterns, however written, give the same text; others differ', () => {
  assert.is(new PatternMatcher(['/a/', './b', '!c']).text, new PatternMatcher(['a', 'b', '!c']).text);
  assert.is.not(new PatternMatcher(['a', 'b']).text, new PatternMatcher(['b', 'a']).text);
  assert.is.not(new PatternMatcher(['a']).text, new PatternMatcher(['!a']).text);
});

const literalCases: [string[], string, string, boolean][] = [
  [[], 'st', 'st/blobs/x', true],
  [[], 'st', 'st', true],
  [[], 'st', 'stx/a', false],
  [[], '.cache/p[1]/store', '.cache/p[1]/store/snapshots/a', true],
  [[], '.cache/p[1]/store', '.cache/p1/store/a', false],
  [[], 'a*', 'ab', false],
  // listed after the patterns: no re-inclusion brings it back
  [['*', '!st'], 'st', 'st/blobs/x', true],
  [['*', '!keep.txt'], 'st', 'keep.txt', false],
];

for (const [pats, literal, file, want] of literalCases) {
  test(`literal ${literal} (after ${JSON.stringify(pats)}) ${want ? 'matches' : 'does not match'} ${file}`, () => {
    assert.is(new PatternMatcher(pats, [literal]).matches(file), want);
  });
}

test('prunes: a literal path and what is below it, not its siblings or what patterns match', () => {
  const m = new PatternMatcher(['*', '!keep'], ['.cache/st']);
  assert.ok(m.prunes('.cache/st'));
  assert.ok(m.prunes('/.cache/st/blobs/x'));
  assert.not.ok(m.prunes('.cache/stx'));
  assert.not.ok(m.prunes('.cache'));
  assert.not.ok(m.prunes('other'), 'matched by a pattern, but a `!` may bring files back below it');
});

test('text: a literal path differs from the same text as a pattern', () => {
  assert.is.not(new PatternMatcher([], ['a[1]']).text, new PatternMatcher(['a[1]']).text);
  assert.equal(new PatternMatcher([], ['p[1]/st']).wholeDirs(), { paths: ['p[1]/st'], names: [] });
});

test.run();
