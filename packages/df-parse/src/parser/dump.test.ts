import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dumpAst } from './dump.ts';
import { parseDockerfile } from './parser.ts';

test('root dump: one line per instruction, no trailing newline', () => {
  const { root } = parseDockerfile('FROM a AS b\nCOPY --from=b ["x y", "/z"]\nONBUILD RUN echo\nCMD []\nFOO bar\n');
  assert.is(dumpAst(root), [
    '(from "a" "AS" "b")',
    '(copy ["--from=b"] "x y" "/z")',
    '(onbuild (run "echo"))',
    '(cmd)',
    '(foo "")',
  ].join('\n'));
});

test('an instruction node dumps without parentheses', () => {
  const { root } = parseDockerfile('RUN ["a\\tb"]\n');
  assert.is(dumpAst(root.children[0]), 'run "a\\tb"');
});

test('invalid UTF-8 dumps as \\xNN', () => {
  const { root } = parseDockerfile(Uint8Array.from([...new TextEncoder().encode('USER a'), 0xff, 0x0a]));
  assert.is(dumpAst(root), '(user "a\\xff")');
});

test.run();
