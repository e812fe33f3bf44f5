import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { goDuration, goList, goQuoteList, goQuoteRune, parseGoDuration } from './go-format.ts';

test('%q and %v of string slices', () => {
  assert.is(goQuoteList(['/bin/sh', '-c', 'echo "hi"\tthere']), '["/bin/sh" "-c" "echo \\"hi\\"\\tthere"]');
  assert.is(goList(['/data', '/logs']), '[/data /logs]');
});

test('time.Duration String()', () => {
  assert.is(goDuration(0), '0s');
  assert.is(goDuration(30e9), '30s');
  assert.is(goDuration(90e9), '1m30s');
  assert.is(goDuration(3600e9), '1h0m0s');
  assert.is(goDuration(1.5e9), '1.5s');
  assert.is(goDuration(500e6), '500ms');
  assert.is(goDuration(1500), '1.5µs');
});

test('%q of an int is a quoted rune', () => {
  assert.is(goQuoteRune(0), "'\\x00'");
  assert.is(goQuoteRune(3), "'\\x03'");
  assert.is(goQuoteRune(65), "'A'");
  assert.is(goQuoteRune(10), "'\\n'");
});

test('ParseDuration for HEALTHCHECK flags', () => {
  assert.is(parseGoDuration('1m30s'), 90e9);
  assert.is(parseGoDuration('1.5s'), 1.5e9);
  assert.is(parseGoDuration('0'), 0);
  assert.is(parseGoDuration('10'), undefined);
  assert.is(parseGoDuration('5x'), undefined);
});

test.run();
