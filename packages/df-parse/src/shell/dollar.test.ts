import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ShellLex } from './index.ts';

const vars: Record<string, string> = { x: 'a b', y: '', z: 'a*b/c', PWD: '/home', KOREAN: '한국어' };
const env = (name: string) => (Object.hasOwn(vars, name) ? vars[name] : undefined);
const word = (w: string) => new ShellLex().processWord(w, env);

test('plain references and names', () => {
  assert.is(word('$PWD/${PWD}'), '/home//home');
  assert.is(word('$.'), '$.');
  assert.is(word('he$1x'), 'hex'); // positional: digits only
  assert.is(word('$@$*$#$?$-$$$!$0'), '');
  assert.is(word('${KOREAN}'), '한국어');
});

test('default, alternative and required forms', () => {
  assert.is(word('${u:-d}|${y:-d}|${y-d}|${x-d}'), 'd|d||a b');
  assert.is(word('${u:+alt}|${y:+alt}|${y+alt}|${x:+alt}'), '||alt|alt');
  assert.is(word('${x:?msg}'), 'a b');
  assert.is(word('${u:-${PWD:-no}}'), '/home');
});

test('pattern trimming and replacement', () => {
  assert.is(word('${z%/*}|${z#*/}|${z%%b*}|${z##*b}'), 'a*b|c|a*|/c');
  assert.is(word('${z/\\*/S}'), 'aSb/c');
  assert.is(word('${z//\\//X}'), 'a*bXc');
  assert.is(word('${x//*/Y}'), 'Y'); // Go skips the empty match after a match
  assert.is(word('${x// /\\$0}'), 'a\\ b'); // `$0` in a Go template is the match
});

test('syntax errors', () => {
  for (const bad of ['${', '${}', '${:x}', '${{x}', '${x', '${x:YYY}', '${x:=w}', '${.}', '${z/\\q/S}', '${x/a']) {
    assert.throws(() => word(bad), undefined, bad);
  }
});

test.run();
