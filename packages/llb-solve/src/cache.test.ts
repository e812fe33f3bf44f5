import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireStoreLock, Store } from '@pipekit/cas-store';
import { loadCached } from './cache.ts';

const KEY = `sha256:${'ab'.repeat(32)}`;

test('a key without a record is a miss without waiting for the GC lock', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipekit-cache-'));
  try {
    const store = await Store.open(dir);
    const release = await acquireStoreLock(store.dir, 'gc');
    try {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waited = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the miss waited for the GC lock')), 5000)));
      assert.is(await Promise.race([loadCached(store, KEY), waited]), undefined);
      clearTimeout(timer);
    } finally {
      await release();
    }
    assert.is(store.cache.has(KEY), false);
    await store.cache.put(KEY, [{ layers: [] }], 'a step');
    assert.is(store.cache.has(KEY), true);
    // a record: read under the lock, and a hit (no layers to check)
    assert.equal(await loadCached(store, KEY), [{ kind: 'layers', layers: [] }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
