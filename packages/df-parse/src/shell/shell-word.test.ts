import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EOF } from './scanner.ts';
import { ShellWord } from './shell-word.ts';

const opts = {
  escapeToken: 0x5c, rawQuotes: false, rawEscapes: false, skipProcessQuotes: false, skipUnsetEnv: false, capture: false,
};

test('processStopOn stops at and consumes the stop character', () => {
  const sw = new ShellWord('ab}cd', () => undefined, opts);
  assert.is(sw.processStopOn(0x7d, false).text, 'ab');
  assert.is(sw.scanner.peek(), 0x63);
});

test('a missing stop character is an error', () => {
  const sw = new ShellWord('abc', () => undefined, opts);
  assert.throws(() => sw.processStopOn(0x7d, false), /looking for matching }/);
});

test('heredoc markers keep their blanks and stay one word', () => {
  const sw = new ShellWord('cat <<  EOF x', () => undefined, opts);
  assert.equal(sw.processStopOn(EOF, false).words, ['cat', '<<  EOF', 'x']);
});

test.run();
