import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeUtf8, encodeUtf8, isEscapedByte } from './utf8.ts';

const bytes = (...b: number[]) => Uint8Array.from(b);

test('valid UTF-8 decodes normally, BOM kept', () => {
  assert.is(decodeUtf8(new TextEncoder().encode('\ufeffé☃😀')), '\ufeffé☃😀');
});

test('invalid bytes round-trip through escaped units', () => {
  const raw = bytes(0x61, 0xff, 0xc2, 0xed, 0xa0, 0x80, 0xe2, 0x98, 0x83, 0xf4, 0x90, 0x80, 0x80);
  const s = decodeUtf8(raw);
  assert.is([...s].filter((c) => isEscapedByte(c.charCodeAt(0))).length, 9);
  assert.ok(s.includes('☃'));
  assert.equal([...encodeUtf8(s)], [...raw]);
});

test('a truncated sequence escapes only its bytes', () => {
  assert.is(decodeUtf8(bytes(0xe2, 0x98, 0x41)), '\udce2\udc98A');
});

test('other lone surrogates encode as U+FFFD', () => {
  assert.equal([...encodeUtf8('\ud800')], [0xef, 0xbf, 0xbd]);
});

test.run();
