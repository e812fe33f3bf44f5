import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReadCache } from './read-cache.ts';

test('kept bytes are given back once, and only while the file is unchanged', async () => {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'read-cache-'));
  try {
    const f = path.join(dir, 'a.txt');
    await fs.writeFile(f, 'one');
    const cache = new ReadCache();
    cache.keep(f, lstatSync(f), Buffer.from('one'));
    assert.is(cache.take(f, lstatSync(f))?.toString(), 'one');
    assert.is(cache.take(f, lstatSync(f)), undefined, 'used once');
    cache.keep(f, lstatSync(f), Buffer.from('one'));
    await fs.writeFile(f, 'two');
    // a rewrite of the same size within one tick of the kernel's clock leaves
    // every time as it was (seen failing on a loaded machine): this one shows
    // in its mtime, as a rewrite a moment later does
    await fs.utimes(f, new Date(1_000_000), new Date(1_000_000));
    assert.is(cache.take(f, lstatSync(f)), undefined, 'changed since it was read');
    const st = lstatSync(f);
    cache.keep(f, st, Buffer.from('short'));
    assert.is(cache.take(f, st), undefined, 'bytes that do not match the size are not used');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('the cache is bounded', () => {
  const cache = new ReadCache();
  const st = { size: 32 * 1024 * 1024, mtimeMs: 1, ctimeMs: 1, ino: 1 } as import('node:fs').Stats;
  const big = Buffer.alloc(st.size);
  cache.keep('/a', st, big);
  cache.keep('/b', st, big);
  cache.keep('/c', st, big);
  assert.ok(cache.take('/a', st));
  assert.ok(cache.take('/b', st));
  assert.is(cache.take('/c', st), undefined, 'over 64 MiB: not kept');
});

test('stats seen by the hash walk are given back once, by path', () => {
  const cache = new ReadCache();
  const st = { size: 3, ino: 9 } as import('node:fs').Stats;
  cache.keepStat('/ctx/a', st);
  assert.is(cache.takeStat('/ctx/b'), undefined);
  assert.is(cache.takeStat('/ctx/a'), st);
  assert.is(cache.takeStat('/ctx/a'), undefined, 'used once');
});

test.run();
