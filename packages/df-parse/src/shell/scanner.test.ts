import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EOF, RuneScanner } from './scanner.ts';

test('peek/next by code point, EOF at end', () => {
  const s = new RuneScanner('a😀');
  assert.is(s.peek(), 0x61);
  assert.is(s.next(), 0x61);
  assert.is(s.next(), 0x1f600);
  assert.is(s.next(), EOF);
  assert.is(s.peek(), EOF);
});

test('leading BOM skipped, later BOM kept, lone surrogate reads as U+FFFD', () => {
  const s = new RuneScanner('\ufeffa\ufeff\udcff');
  assert.is(s.next(), 0x61);
  assert.is(s.next(), 0xfeff);
  assert.is(s.next(), 0xfffd);
});

test.run();
