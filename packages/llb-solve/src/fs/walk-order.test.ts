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

// the definition: segment by segment, each compared by code units
function bySegments(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  return pa.length - pb.length;
}

test('agrees in sign with comparing segment by segment, for any two paths', () => {
  // names of units around '/' (0x2f), below and above it, and beyond the BMP
  const units = ['', 'a', 'b', '-', '.', ' ', '0', '~', '\u00e9', '\ud83d\ude00', '!'];
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  const name = () => Array.from({ length: 1 + rand(3) }, () => units[1 + rand(units.length - 1)]).join('');
  const paths = [''];
  for (let k = 0; k < 400; k++) paths.push(Array.from({ length: 1 + rand(3) }, name).join('/'));
  for (const a of paths) {
    for (const b of paths) assert.is(Math.sign(walkOrder(a, b)), Math.sign(bySegments(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
});

test.run();
