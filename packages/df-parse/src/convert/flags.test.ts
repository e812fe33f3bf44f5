import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkFlags } from './flags.ts';

const fail = (msg: string, hint?: string): never => {
  throw new Error(`${msg}${hint ? ` | ${hint}` : ''}`);
};

test('string, bool and list flags', () => {
  const f = checkFlags('copy', ['--from=build', '--link', '--exclude=a', '--exclude=b'], { from: 'string', link: 'bool', exclude: 'list' }, fail);
  assert.is(f.str('from'), 'build');
  assert.ok(f.bool('link'));
  assert.equal(f.list('exclude'), ['a', 'b']);
  assert.not.ok(checkFlags('copy', ['--link=false'], { link: 'bool' }, fail).bool('link'));
});

test('unknown flags name the accepted ones; bad values are refused', () => {
  assert.throws(() => checkFlags('copy', ['--bogus'], { from: 'string' }, fail), /unknown flag: --bogus \| COPY accepts --from/);
  assert.throws(() => checkFlags('copy', ['--from'], { from: 'string' }, fail), /missing a value/);
  assert.throws(() => checkFlags('copy', ['--from=a', '--from=b'], { from: 'string' }, fail), /duplicate flag/);
  assert.throws(() => checkFlags('copy', ['--link=maybe'], { link: 'bool' }, fail), /expecting boolean/);
});

test.run();
