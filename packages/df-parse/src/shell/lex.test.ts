import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ShellExpansionError, ShellLex } from './index.ts';

const vars: Record<string, string> = { x: 'a b', y: '', z: 'a*b/c', PWD: '/home' };
const env = (name: string) => (Object.hasOwn(vars, name) ? vars[name] : undefined);

test('processWord expands, unquotes and keeps whitespace', () => {
  const lex = new ShellLex();
  assert.is(lex.processWord('he said "$x"  and \'$x\'', env), 'he said a b  and $x');
  assert.is(lex.processWord('abc\\tdef', env), 'abctdef');
  assert.is(lex.processWord('"abc\\tdef"', env), 'abc\\tdef');
  assert.is(lex.processWord('hello\\', env), 'hello');
  assert.is(lex.processWord('$unset.$y.', env), '..');
});

test('processWords splits on unquoted whitespace, including from expansions', () => {
  const lex = new ShellLex();
  assert.equal(lex.processWords('a "" b', env), ['a', 'b']);
  assert.equal(lex.processWords('pre$x"$x"', env), ['prea', 'ba b']);
  assert.equal(lex.processWords('hello\\ there', env), ['hello there']);
});

test('processWords keeps the upstream quirk of losing text before ${x:-...}', () => {
  // Checked against BuildKit: the shared word buffer is cleared by the nested word.
  assert.equal(new ShellLex().processWords('a${x:-y}b c', env), ['a', 'bb', 'c']);
  assert.is(new ShellLex().processWord('a${x:-y}b c', env), 'aa bb c');
});

test('errors are ShellExpansionError with the word in the message', () => {
  const lex = new ShellLex();
  for (const bad of ['${}', '"open', "'open", '${x:=1}', '${u?}', '${y:?must be set}', '${x:#a}']) {
    assert.throws(() => lex.processWord(bad, env), (e: unknown) => e instanceof ShellExpansionError);
  }
  try {
    lex.processWord('${y:?must be set}', env);
  } catch (e) {
    assert.is((e as ShellExpansionError).reason, 'y: must be set');
    assert.ok((e as Error).message.startsWith('failed to process "${y:?must be set}"'));
  }
});

test('backtick escape token', () => {
  const lex = new ShellLex('`');
  assert.is(lex.processWord('`$x ${x} a\\b', env), '$x a b a\\b');
});

test('skipProcessQuotes leaves quotes alone (heredoc bodies)', () => {
  const lex = new ShellLex('\\', { skipProcessQuotes: true });
  assert.is(lex.processWord('it\'s "q" $x', env), 'it\'s "q" a b');
});

test('skipUnsetEnv leaves unset references as written', () => {
  const lex = new ShellLex('\\', { skipUnsetEnv: true });
  assert.equal(lex.processWords('$u ${u} ${u:-d} $x', env), ['$u', '${u}', '${u:-d}', 'a', 'b']);
});

test('raw quotes and raw escapes keep the characters', () => {
  assert.is(new ShellLex('\\', { rawQuotes: true }).processWord('"a"\'b\'', env), '"a"\'b\'');
  assert.is(new ShellLex('\\', { rawEscapes: true }).processWord('"a\\b"', env), 'a\\\\b');
});

test('processWordWithMatches reports used and missing names', () => {
  const r = new ShellLex().processWordWithMatches('$x ${nope:-d} $y', env);
  assert.is(r.result, 'a b d ');
  assert.equal([...r.matched].sort(), ['x', 'y']);
  assert.equal([...r.unmatched], ['nope']);
});

test('a leading byte-order mark is skipped, as Go text/scanner does', () => {
  assert.is(new ShellLex().processWord('\ufeffab', env), 'ab');
});

test.run();
