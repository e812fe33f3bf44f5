import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { commitSnapshot, Store } from '@pipekit/cas-store';
import { contentHash } from './fs/contenthash.ts';
import { layersContentHash } from './layers-hash.ts';
import type { LayersRef } from './refs.ts';

const made: string[] = [];
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

async function layerOf(store: Store, files: Record<string, string>): Promise<LayersRef> {
  const { id, dir } = await store.snapshots.prepare();
  for (const [p, data] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, p)), { recursive: true });
    await fs.writeFile(path.join(dir, p), data);
  }
  return { kind: 'layers', layers: [await commitSnapshot(store, id)] };
}

test('a path in a layer chain hashes as its tree does, and the answer is remembered', async () => {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'layers-hash-'));
  made.push(dir);
  const store = await Store.open(dir);
  const files = { 'app/a.txt': 'a', 'app/sub/b.txt': 'b', 'other.txt': 'o' };
  const ref = await layerOf(store, files);
  const snap = store.snapshots.dir(ref.layers[0].snapshot as string);
  const direct = await contentHash(snap, '/app', { followSymlink: true });
  const seen = new Map<string, string>();
  assert.is(await layersContentHash(store, ref, '/app', { followSymlink: true }, seen), direct);
  assert.equal([...seen.keys()].sort(), ['/app', '/app/a.txt', '/app/sub', '/app/sub/b.txt']);
  const memos = await fs.readdir(path.join(store.dir, 'contenthash'));
  assert.is(memos.length, 1);
  // a remembered answer is used as it is: no mount, same records for explain
  const memo = path.join(store.dir, 'contenthash', memos[0]);
  const saved = JSON.parse(await fs.readFile(memo, 'utf8'));
  await fs.writeFile(memo, JSON.stringify({ ...saved, hash: 'sha256:remembered' }));
  const again = new Map<string, string>();
  assert.is(await layersContentHash(store, ref, '/app', { followSymlink: true }, again), 'sha256:remembered');
  assert.equal(again, seen);
  // another path, wildcard setting or chain is its own entry
  assert.is.not(await layersContentHash(store, ref, '/other.txt', {}), direct);
  await layersContentHash(store, ref, '/app', { followSymlink: true, allowWildcard: true });
  const other = await layerOf(store, { 'app/a.txt': 'A' });
  assert.is.not(await layersContentHash(store, other, '/app', { followSymlink: true }), direct);
  assert.is((await fs.readdir(path.join(store.dir, 'contenthash'))).length, 4);
});

test('a missing path is an error each time, never remembered', async () => {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'layers-hash-'));
  made.push(dir);
  const store = await Store.open(dir);
  const ref = await layerOf(store, { 'x.txt': 'x' });
  for (let i = 0; i < 2; i++) {
    try {
      await layersContentHash(store, ref, '/nope', {});
      assert.unreachable('should fail');
    } catch (err) {
      assert.match((err as Error).message, /not found/);
    }
  }
  assert.equal(await fs.readdir(path.join(store.dir, 'contenthash')).catch(() => []), []);
});

test.run();
