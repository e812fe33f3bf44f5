import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WordCollector } from './words.ts';

test('unquoted whitespace splits, raw text does not', () => {
  const w = new WordCollector({ text: '' });
  w.addString('a  b');
  w.addRawString(' c ');
  w.addChar(0x20);
  w.addRawChar(0x64);
  assert.equal(w.getWords(), ['a', 'b c ', 'd']);
});

test('an empty raw string starts no word by itself', () => {
  const w = new WordCollector({ text: '' });
  w.addRawString('');
  assert.equal(w.getWords(), []);
});

test.run();
