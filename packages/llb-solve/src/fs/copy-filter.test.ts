import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '@pipekit/wire';
import { storeExclusion } from './copy-filter.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pipekit-copy-filter-'));
const ctx = path.join(tmp, 'ctx');
mkdirSync(path.join(ctx, '.cache', 'p[1]', 'store'), { recursive: true });
mkdirSync(path.join(ctx, '..st'), { recursive: true });
mkdirSync(path.join(tmp, 'ctx2'), { recursive: true });
symlinkSync(path.join(ctx, '.cache'), path.join(tmp, 'cache-link'));

test('storeExclusion: a store inside the context is left out by its relative path', () => {
  assert.equal(storeExclusion(ctx, path.join(ctx, '.cache', 'p[1]', 'store')), ['.cache/p[1]/store']);
  assert.equal(storeExclusion(ctx, path.join(ctx, '..st')), ['..st']);
});

test('storeExclusion: reached through a symlink, or not made yet, it is still found', () => {
  assert.equal(storeExclusion(ctx, path.join(tmp, 'cache-link', 'p[1]', 'store')), ['.cache/p[1]/store']);
  assert.equal(storeExclusion(ctx, path.join(ctx, 'new-store')), ['new-store']);
});

test('storeExclusion: a store outside the context (a sibling with the same prefix too) leaves nothing out', () => {
  assert.equal(storeExclusion(ctx, path.join(tmp, 'ctx2')), []);
  assert.equal(storeExclusion(ctx, tmp), []);
  assert.equal(storeExclusion(path.join(ctx, '.cache'), path.join(ctx, '..st')), []);
});

test('storeExclusion: a context that is the store is refused', () => {
  assert.throws(() => storeExclusion(ctx, `${ctx}/`), (e: Error) => e instanceof UsageError && /is the store itself/.test(e.message));
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
