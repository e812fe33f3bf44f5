import type { Stats } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WrittenFiles } from './written.ts';

const stat = (ino: number) => ({ ino, size: 3 }) as Stats;

test('paths are kept relative to the root; outside it nothing is kept; a rewrite replaces', () => {
  const w = new WrittenFiles('/mnt/root');
  w.add('/mnt/root/app/a.txt', stat(7), Buffer.from('one'));
  w.add('/mnt/rootless/x', stat(8), Buffer.from('no'));
  w.add('/elsewhere/y', stat(9), Buffer.from('no'));
  w.add('/mnt/root/app/a.txt', stat(10), Buffer.from('two'));
  assert.equal([...w.files.keys()], ['app/a.txt']);
  assert.equal(w.files.get('app/a.txt'), { ino: 10, data: Buffer.from('two') });
});

test('stats are handed on to packing only for a tree the copy wrote alone (exactStats)', () => {
  const overlay = new WrittenFiles('/mnt/merged');
  overlay.add('/mnt/merged/a', stat(4), Buffer.from('abc'));
  assert.is(overlay.files.get('a')?.st, undefined);
  const plain = new WrittenFiles('/snap/tmp/1', { exactStats: true });
  plain.add('/snap/tmp/1/a', stat(4), Buffer.from('abc'));
  plain.addShared('b', stat(5), Buffer.from('xyz'));
  assert.equal(plain.files.get('a'), { ino: 4, data: Buffer.from('abc'), st: stat(4) });
  assert.equal(plain.files.get('b')?.st, stat(5));
});

test('bounded: past 64 MiB a file is not kept (and an older copy of it is dropped)', () => {
  const w = new WrittenFiles('/r/');
  const big = Buffer.alloc(40 * 1024 * 1024);
  w.add('/r/a', stat(1), big);
  w.add('/r/b', stat(2), Buffer.from('small'));
  w.add('/r/b', stat(3), big);
  assert.ok(w.files.has('a'));
  assert.not.ok(w.files.has('b'), 'over budget: dropped, never stale');
});

test.run();
