import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { walkOrder } from './walk-order.ts';

// a tree's paths as a walk lists them: each dir before what it holds, names in code-unit order
const WALKED = ['', '.hidden', 'A', 'a', 'a/b', 'a/b/c', 'a/z', 'a-b', 'a.b', 'a.b/x', 'ab', 'b', '~'];

test('sorting by walkOrder gives the walk', () => {
  const shuffled = [...WALKED].reverse();
  shuffled.push(shuffled.shift() as string);
  assert.equal(shuffled.sort(walkOrder), WALKED);
});

test('a path equals itself; a dir comes before its entries', () => {
  for (const p of WALKED) assert.is(walkOrder(p, p), 0);
  assert.ok(walkOrder('a', 'a/b') < 0);
  assert.ok(walkOrder('a/b', 'a') > 0);
  // a sibling whose name extends the dir's comes after everything in the dir
  assert.ok(walkOrder('a/zzz', 'a-b') < 0);
});

test.run();
