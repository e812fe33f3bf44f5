// Content checksums of paths in a layer chain, remembered in the store: a
// chain of diff ids never changes, so neither does what a path in it holds.
// A cached `COPY --from=stage` then needs no overlay mount (two process
// spawns) to find its key.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { readJsonMaybe, writeJsonAtomic, type Store } from '@pipekit/cas-store';
import { contentHash, type HashOptions } from './fs/contenthash.ts';
import { PatternMatcher } from './fs/dockerignore.ts';
import type { LayersRef } from './refs.ts';
import { singleFileRoot, withView } from './view.ts';

type Memo = { hash: string; records?: [string, string][] };

/** explain's per-file records are kept for small selections only */
const MAX_RECORDS = 1000;

export async function layersContentHash(
  store: Store, ref: LayersRef, src: string, opts: Pick<HashOptions, 'followSymlink' | 'allowWildcard' | 'signal'> & { excludePatterns?: string[] },
  collect?: Map<string, string>,
): Promise<string> {
  const exclude = opts.excludePatterns ?? [];
  const id = createHash('sha256')
    .update(JSON.stringify({ v: 1, layers: ref.layers.map((l) => l.diffID), src, follow: opts.followSymlink ?? true, wild: opts.allowWildcard ?? false, exclude }))
    .digest('hex');
  const file = path.join(store.dir, 'contenthash', `${id}.json`);
  const memo = await readJsonMaybe<Memo>(file);
  if (memo?.hash) {
    for (const [p, r] of memo.records ?? []) collect?.set(p, r);
    return memo.hash;
  }
  const records = new Map<string, string>();
  const hashOpts: HashOptions = { followSymlink: opts.followSymlink, allowWildcard: opts.allowWildcard, exclude: exclude.length ? new PatternMatcher(exclude) : undefined, signal: opts.signal };
  const hash = (root: string) => contentHash(root, src, { ...hashOpts, collect: records });
  // one plain file: hashed in the layer that holds it, no mount
  const oneFile = singleFileRoot(store, ref, src, opts.allowWildcard ?? false);
  const sum = await (oneFile ? hash(oneFile) : withView(store, ref, hash));
  for (const [p, r] of records) collect?.set(p, r);
  const kept = records.size <= MAX_RECORDS ? [...records] : undefined;
  await writeJsonAtomic(file, { hash: sum, records: kept } satisfies Memo).catch(() => undefined);
  return sum;
}
