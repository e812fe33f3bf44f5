import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineScanner } from './line-scanner.ts';

const enc = (s: string) => new TextEncoder().encode(s);

test('lines keep their endings; the last may have none', () => {
  const s = new LineScanner(enc('a\r\nb\n\nc'));
  const lines: string[] = [];
  while (s.scan()) lines.push(s.line);
  assert.equal(lines, ['a\r\n', 'b\n', '\n', 'c']);
  assert.is(s.sourceLine(1), 'a');
  assert.is(s.sourceLine(4), 'c');
});

test('64 KiB line limit like bufio.Scanner', () => {
  const ok = new LineScanner(enc('x'.repeat(65535) + '\n'));
  assert.ok(ok.scan());
  const long = new LineScanner(enc('x'.repeat(65536) + '\n'));
  assert.not.ok(long.scan());
  assert.ok(long.tooLong);
  const lastOk = new LineScanner(enc('x'.repeat(65535)));
  assert.ok(lastOk.scan());
  const lastLong = new LineScanner(enc('x'.repeat(65536)));
  assert.not.ok(lastLong.scan());
});

test.run();
