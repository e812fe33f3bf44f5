import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractBuilderFlags, splitCommand } from './split-command.ts';

test('keyword, flags and trimmed arguments', () => {
  assert.equal(splitCommand('  COPY --from=build --chmod=755  a /b  ', '\\'), {
    cmd: 'COPY', flags: ['--from=build', '--chmod=755'], args: 'a /b',
  });
  assert.equal(splitCommand('CMD', '\\'), { cmd: 'CMD', flags: [], args: '' });
});

test('quotes and escapes inside flags are resolved', () => {
  assert.equal(extractBuilderFlags('--a="b c" --d=e\\ f x', '\\'), { rest: 'x', flags: ['--a=b c', '--d=e f'] });
  assert.equal(extractBuilderFlags("--a='b\\'c' x", '\\'), { rest: 'x', flags: ["--a=b'c"] });
});

test('a lone -- ends the flags and is dropped', () => {
  assert.equal(extractBuilderFlags('--doit -- foo', '\\'), { rest: ' foo', flags: ['--doit'] });
  assert.equal(extractBuilderFlags('--', '\\'), { rest: '', flags: [] });
  assert.equal(extractBuilderFlags('-x --y', '\\'), { rest: '-x --y', flags: [] });
});

test('flags are handled byte by byte like upstream', () => {
  // é is C3 A9: each byte becomes its own Latin-1 character.
  assert.equal(extractBuilderFlags('--l=é x', '\\').flags, ['--l=Ã©']);
  // NBSP is C2 A0 and byte A0 counts as a blank.
  assert.equal(extractBuilderFlags('--l=\u00a0x', '\\'), { rest: 'x', flags: ['--l=Â'] });
});

test.run();
