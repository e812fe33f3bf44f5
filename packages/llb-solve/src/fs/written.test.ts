import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WrittenFiles } from './written.ts';

test('paths are kept relative to the root; outside it nothing is kept; a rewrite replaces', () => {
  const w = new WrittenFiles('/mnt/root');
  w.add('/mnt/root/app/a.txt', 7, Buffer.from('one'));
  w.add('/mnt/rootless/x', 8, Buffer.from('no'));
  w.add('/elsewhere/y', 9, Buffer.from('no'));
  w.add('/mnt/root/app/a.txt', 10, Buffer.from('two'));
  assert.equal([...w.files.keys()], ['app/a.txt']);
  assert.equal(w.files.get('app/a.txt'), { ino: 10, data: Buffer.from('two') });
});

test('bounded: past 64 MiB a file is not kept (and an older copy of it is dropped)', () => {
  const w = new WrittenFiles('/r/');
  const big = Buffer.alloc(40 * 1024 * 1024);
  w.add('/r/a', 1, big);
  w.add('/r/b', 2, Buffer.from('small'));
  w.add('/r/b', 3, big);
  assert.ok(w.files.has('a'));
  assert.not.ok(w.files.has('b'), 'over budget: dropped, never stale');
});

test.run();
