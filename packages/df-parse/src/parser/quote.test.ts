import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { goQuote, isGoPrint } from './quote.ts';

test('short escapes and quotes', () => {
  assert.is(goQuote('" \\ \x07\b\f\n\r\t\v'), '"\\" \\\\ \\a\\b\\f\\n\\r\\t\\v"');
});

test('control characters and DEL as \\x', () => {
  assert.is(goQuote('\x00\x1b\x7f'), '"\\x00\\x1b\\x7f"');
});

test('non-printable Unicode as \\u / \\U, printable kept', () => {
  assert.is(goQuote('\u00a0\u0085\u200b\ufeff'), '"\\u00a0\\u0085\\u200b\\ufeff"');
  assert.is(goQuote('♥☃한국어é'), '"♥☃한국어é"');
  assert.is(goQuote('\u{e0001}'), '"\\U000e0001"');
  assert.is(goQuote('\u00ad'), '"\\u00ad"');
});

test('invalid UTF-8 bytes as \\xNN (bytes or escaped string)', () => {
  assert.is(goQuote(Uint8Array.from([0x61, 0xff, 0xc3])), '"a\\xff\\xc3"');
  assert.is(goQuote('a\udcff'), '"a\\xff"');
  assert.is(goQuote('\ufffd'), '"\ufffd"');
});

test('isGoPrint edges', () => {
  assert.ok(isGoPrint(0x20));
  assert.not.ok(isGoPrint(0xa0));
  assert.ok(isGoPrint(0xa1));
});

test.run();
