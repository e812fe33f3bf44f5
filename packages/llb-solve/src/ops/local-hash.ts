// The checksum of what a step reads from a local directory (a build context):
// with its digest index (opened only when files are read) and its memo of
// checksums, which stand in for reading an unchanged context when allowed.
import type { Store } from '@pipekit/cas-store';
import type { KeyReads } from '../context.ts';
import { contentHash, type HashOptions } from '../fs/contenthash.ts';
import { ContextMemo } from '../fs/context-memo.ts';
import { DigestIndex } from '../fs/digest-index.ts';

export async function localContentHash(store: Store, dir: string, src: string, opts: HashOptions, reads?: KeyReads): Promise<string> {
  return contentHash(dir, src, {
    ...opts,
    ignoreOwner: true,
    collect: reads?.files,
    readAt: reads?.readAt,
    index: () => DigestIndex.open(store, dir),
    memo: await ContextMemo.open(store, dir),
    useMemo: reads?.mayRecall ?? false,
    onMemo: () => {
      if (reads) reads.recalled = true;
    },
  });
}
