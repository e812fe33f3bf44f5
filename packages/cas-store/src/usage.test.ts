import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from './store.ts';
import { collectUsage } from './usage.ts';
import { prune } from './prune.ts';

test("llb-solve's context digests are source.local records; its layer checksums one internal record", async () => {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'usage-test-'));
  try {
    const store = await Store.open(dir);
    const ctxFile = path.join(dir, 'contexts', `${'ab'.repeat(16)}.json`);
    await fs.mkdir(path.dirname(ctxFile), { recursive: true });
    await fs.writeFile(ctxFile, JSON.stringify({ v: 1, dir: '/src/my "app"', files: { a: [1, 2, 3, 4, 5, 'd'] } }));
    // its remembered checksums and a big walk's records belong to the same record
    const beside = [`${'ab'.repeat(16)}.sums.json`, `${'ab'.repeat(16)}.rec-${'cd'.repeat(16)}.json`].map((n) => path.join(dir, 'contexts', n));
    for (const f of beside) await fs.writeFile(f, '{"v":1}');
    await fs.mkdir(path.join(dir, 'contenthash'));
    for (const n of ['x', 'y']) await fs.writeFile(path.join(dir, 'contenthash', `${n}.json`), '{"hash":"sha256:00"}');
    // records changed in the last seconds count as in use
    await new Promise((r) => setTimeout(r, 2100));
    const records = await collectUsage(store);
    const local = records.find((r) => r.type === 'source.local');
    assert.is(local?.description, 'local source for context /src/my "app"');
    assert.is(local?.size, (await fs.stat(ctxFile)).size + 14);
    assert.is(records.filter((r) => r.type === 'source.local').length, 1);
    const memo = records.find((r) => r.id === 'contenthash');
    assert.is(memo?.type, 'internal');
    assert.is(memo?.size, 40);
    await prune(store, { filters: ['type=source.local'] });
    for (const f of [ctxFile, ...beside]) assert.is(await fs.access(f).then(() => true, () => false), false, `pruned by type: ${f}`);
    assert.ok(await fs.access(path.join(dir, 'contenthash')).then(() => true, () => false), 'internal: kept without --all');
    await prune(store, { all: true });
    assert.is(await fs.access(path.join(dir, 'contenthash')).then(() => true, () => false), false, 'prune --all');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test.run();
