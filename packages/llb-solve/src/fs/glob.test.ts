import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expandGlob, hasMeta, segmentRegex } from './glob.ts';

// [pattern, name, matches] — taken from Go's path/filepath match_test.go (valid patterns only),
// plus a few more for characters that are special in a RegExp but not in a glob.
const MATCH: [string, string, boolean][] = [
  ['abc', 'abc', true],
  ['abc', 'abcd', false],
  ['abc', 'ab', false],
  ['*', 'abc', true],
  ['*', '', true],
  ['*', '.hidden', true],
  ['*c', 'abc', true],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ab/c', false],
  ['a*b*c*d*e*', 'axbxcxdxexxx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['*x', 'xxx', true],
  ['*.txt', 'a.txt', true],
  ['*.txt', '.txt', true],
  ['*.txt', 'a.txt.bak', false],
  ['*.txt', 'atxt', false],
  // ?
  ['?', 'a', true],
  ['?', '', false],
  ['?', 'ab', false],
  ['a?b', 'a☺b', true],
  ['a???b', 'a☺b', false],
  ['a?b', 'a/b', false],
  ['a*b', 'a/b', false],
  ['??.go', 'ab.go', true],
  ['??.go', 'a.go', false],
  // ranges and classes
  ['ab[c]', 'abc', true],
  ['ab[b-d]', 'abc', true],
  ['ab[e-g]', 'abc', false],
  ['[a-c]', 'a', true],
  ['[a-c]', 'b', true],
  ['[a-c]', 'c', true],
  ['[a-c]', 'd', false],
  ['[a-c]', 'B', false],
  ['[abc]x', 'bx', true],
  ['[abc]x', 'dx', false],
  ['[0-9][0-9]', '42', true],
  ['[0-9][0-9]', '4a', false],
  ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false],
  // negation with ^
  ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false],
  ['ab[^e-g]', 'abc', true],
  ['[^a]', 'a', false],
  ['[^a]', 'b', true],
  ['[^a]', '/', true],
  ['a[^a]b', 'a☺b', true],
  ['a[^a][^a][^a]b', 'a☺b', false],
  // [!a]: in Go '!' does not negate; the class holds '!' and 'a'
  ['[!a]', 'a', true],
  ['[!a]', '!', true],
  ['[!a-c]', 'b', true],
  // escapes
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'ab', false],
  ['a\\*b', 'axb', false],
  ['a\\?b', 'a?b', true],
  ['a\\?b', 'axb', false],
  ['\\[a]', '[a]', true],
  ['\\[a]', 'a', false],
  ['\\a', 'a', true],
  ['\\\\', '\\', true],
  ['[\\-]', '-', true],
  ['[x\\-]', 'x', true],
  ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false],
  // RegExp specials are literals in a glob
  ['a.b', 'a.b', true],
  ['a.b', 'axb', false],
  ['a+', 'a+', true],
  ['a+', 'aa', false],
  ['(a|b)', '(a|b)', true],
  ['(a|b)', 'a', false],
  ['$x^', '$x^', true],
  ['a{b,c}', 'a{b,c}', true],
  ['a{b,c}', 'ab', false],
  ['x/y', 'x/y', true],
  ['[[]', '[', true],
  // newlines are ordinary characters
  ['*', 'a\nb', true],
  ['a?b', 'a\nb', true],
];

for (const [pattern, name, want] of MATCH) {
  test(`segmentRegex(${JSON.stringify(pattern)}) ${want ? 'matches' : 'does not match'} ${JSON.stringify(name)}`, () => {
    assert.is(segmentRegex(pattern).test(name), want);
  });
}

test('hasMeta', () => {
  const cases: [string, boolean][] = [
    ['abc', false], ['a/b/c.txt', false], ['', false], ['a.b', false], ['{a,b}', false], ['a]', false],
    ['*', true], ['a?', true], ['[a]', true], ['a\\b', true], ['dir/*.go', true], ['[', true],
  ];
  for (const [s, want] of cases) assert.is(hasMeta(s), want, s);
});

let root = '';
test.before(async () => {
  root = await fs.mkdtemp(path.join(tmpdir(), 'glob-test-'));
  const files = [
    'a.txt', 'b.txt', 'c.md', '.hidden.txt', 'file1', 'file2', 'file10', 'x', 'y',
    'dir1/one.go', 'dir1/two.go', 'dir1/readme', 'dir2/three.go', 'dir2/sub/deep.go', 'other/file', 'sp ace.txt',
    'weird[1].txt', 'star*name',
  ];
  for (const f of files) {
    await fs.mkdir(path.dirname(path.join(root, f)), { recursive: true });
    await fs.writeFile(path.join(root, f), f);
  }
  await fs.symlink('a.txt', path.join(root, 'link.txt'));
  await fs.symlink('missing', path.join(root, 'broken.txt'));
});
test.after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

// [pattern, sorted container paths]
const EXPAND: [string, string[]][] = [
  ['*.txt', ['/.hidden.txt', '/a.txt', '/b.txt', '/broken.txt', '/link.txt', '/sp ace.txt', '/weird[1].txt']],
  ['/*.txt', ['/.hidden.txt', '/a.txt', '/b.txt', '/broken.txt', '/link.txt', '/sp ace.txt', '/weird[1].txt']],
  ['./*.md', ['/c.md']],
  ['?', ['/x', '/y']],
  ['file?', ['/file1', '/file2']],
  ['file*', ['/file1', '/file10', '/file2']],
  ['file[0-9][0-9]', ['/file10']],
  ['[ab].txt', ['/a.txt', '/b.txt']],
  ['[^ab].md', ['/c.md']],
  ['dir*/*.go', ['/dir1/one.go', '/dir1/two.go', '/dir2/three.go']],
  ['dir1/*', ['/dir1/one.go', '/dir1/readme', '/dir1/two.go']],
  ['*/file', ['/other/file']],
  ['*/sub/*.go', ['/dir2/sub/deep.go']],
  ['*/*/*', ['/dir2/sub/deep.go']],
  ['dir2/*', ['/dir2/sub', '/dir2/three.go']],
  ['*.nothing', []],
  ['nodir/*', []],
  ['file1/*', []],
  ['a.txt', ['/a.txt']],
  ['dir1/one.go', ['/dir1/one.go']],
  ['missing.txt', []],
  ['broken.txt', ['/broken.txt']],
  ['weird\\[1\\].txt', ['/weird[1].txt']],
  ['star\\*name', ['/star*name']],
  ['star*', ['/star*name']],
  ['/', ['/']],
  ['', ['/']],
];

for (const [pattern, want] of EXPAND) {
  test(`expandGlob(${JSON.stringify(pattern)})`, async () => {
    assert.equal(await expandGlob(root, pattern), want);
  });
}

test('expandGlob results are sorted by name', async () => {
  const got = await expandGlob(root, '*');
  assert.equal(got, [...got].sort());
  assert.ok(got.includes('/dir1') && got.includes('/.hidden.txt'));
});

test.run();
