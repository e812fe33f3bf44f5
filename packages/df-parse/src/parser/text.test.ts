import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { splitWhitespace, toLowerGo, trimLeadingTabs, trimLeftSpace, trimNewline, trimSpace } from './text.ts';

test('Go TrimSpace uses unicode.IsSpace', () => {
  assert.is(trimSpace('\u0085\u00a0 a b\t\u3000'), 'a b');
  assert.is(trimSpace('\ufeffa'), '\ufeffa');
  assert.is(trimLeftSpace(' \v\fa '), 'a ');
});

test('trimNewline drops all trailing CR/LF', () => {
  assert.is(trimNewline('a\r\r\n\n'), 'a');
  assert.is(trimNewline('a\rb\n'), 'a\rb');
  assert.is(trimLeadingTabs('\t\tEOF'), 'EOF');
});

test('splitWhitespace mirrors regexp.Split on [\\t\\v\\f\\r ]+', () => {
  assert.equal(splitWhitespace('a  b\tc', -1), ['a', 'b', 'c']);
  assert.equal(splitWhitespace('a b c', 2), ['a', 'b c']);
  assert.equal(splitWhitespace('a ', -1), ['a', '']);
  assert.equal(splitWhitespace(' a', -1), ['', 'a']);
  assert.equal(splitWhitespace('', 2), ['']);
  assert.equal(splitWhitespace('a\u00a0b', -1), ['a\u00a0b']);
});

test('toLowerGo maps rune by rune', () => {
  assert.is(toLowerGo('RUN'), 'run');
  assert.is(toLowerGo('İ'), 'i');
  assert.is(toLowerGo('ΣΑΣ'), 'σασ');
  assert.is(toLowerGo('WOR\u212aDIR'), 'workdir');
  assert.is(toLowerGo('A\udcff'), 'a\ufffd');
});

test.run();
