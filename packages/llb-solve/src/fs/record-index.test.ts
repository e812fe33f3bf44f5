import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Records } from './context-memo.ts';
import { RecordIndex } from './record-index.ts';
import { walkOrder } from './walk-order.ts';

// a walk's subs, with names that sort around '/' ('-' and '.' come before it, 'a' after)
const SUBS = ['', 'a', 'a/b', 'a/b/c', 'a/b-c', 'a/z', 'a-b', 'a-b/x', 'a.b', 'ab', 'b', 'b/a', 'b/a/deep', 'b/b', 'c'];
const records = (subs: string[]): Records['entries'] => subs.map((s) => (s === '' || SUBS.some((o) => o.startsWith(`${s}/`)) ? [s, `D ${s}\0`, 1] : [s, `F ${s}\0`]));
const walked = records([...SUBS].sort(walkOrder));
// the same records out of walk order: the index must not rely on it
const shuffled = records([...SUBS].reverse());

for (const [what, entries] of [['in walk order', walked], ['out of walk order', shuffled]] as const) {
  test(`${what}: every record is found; a path not recorded is not`, () => {
    const index = new RecordIndex(entries);
    for (const s of SUBS) assert.is(entries[index.indexOf(s) as number][0], s, s);
    for (const s of ['a/b/c/d', 'a/', 'aa', 'a-', 'z', 'b/a/deep/er']) assert.is(index.indexOf(s), undefined, s);
  });

  test(`${what}: a dir's names are those directly below it`, () => {
    const index = new RecordIndex(entries);
    const names = (s: string) => index.childrenOf(index.indexOf(s) as number).sort();
    assert.equal(names(''), ['a', 'a-b', 'a.b', 'ab', 'b', 'c']);
    assert.equal(names('a'), ['b', 'b-c', 'z']);
    assert.equal(names('a/b'), ['c']);
    assert.equal(names('b'), ['a', 'b']);
    assert.equal(names('c'), []);
  });

  test(`${what}: removing entries takes everything below them, nothing else`, () => {
    const index = new RecordIndex(entries);
    const left = (removed: string[]) => index.without(new Set(removed)).map(([s]) => s).sort(walkOrder);
    const expect = (removed: string[]) => SUBS.filter((s) => !removed.some((r) => s === r || s.startsWith(`${r}/`))).sort(walkOrder);
    for (const removed of [[], ['a'], ['a/b'], ['a-b', 'b/a'], ['c', 'a/z'], ['not/there']]) assert.equal(left(removed), expect(removed), removed.join(','));
    // in walk order the result keeps it
    if (entries === walked) assert.equal(index.without(new Set(['a'])).map(([s]) => s), expect(['a']));
  });
}

test.run();
