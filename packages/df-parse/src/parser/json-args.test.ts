import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseJSONArray } from './json-args.ts';

test('string arrays decode, leading blanks allowed', () => {
  assert.equal(parseJSONArray(' \t[ "a", "b\\n", "\\u00e9" ]'), ['a', 'b\n', 'é']);
  assert.equal(parseJSONArray('[]'), []);
});

test('anything not a valid array is null (raw-text fallback)', () => {
  for (const s of ["['a']", '["a"', '"[a]"', '["a"] x', 'a', '[1e999]', '["a", [1e999]]']) {
    assert.is(parseJSONArray(s), null, s);
  }
  assert.is(parseJSONArray('['.repeat(10001) + ']'.repeat(10001)), null);
});

test('valid JSON with a non-string element is a hard error', () => {
  assert.throws(() => parseJSONArray('[ "echo", [ "nested json" ] ]'), /arrays must be comprised of strings only/);
  assert.throws(() => parseJSONArray('[1]'), /strings only/);
  assert.throws(() => parseJSONArray('[null]'), /strings only/);
});

test('bad UTF-8 and unpaired surrogate escapes become U+FFFD', () => {
  assert.equal(parseJSONArray('["\\ud800x", "\udcff", "\\ud83d\\ude00"]'), ['\ufffdx', '\ufffd', '😀']);
});

test.run();
