// llb-solve as a library call: read a graph, solve it against the store with
// progress on stderr, write one image record per result to stdout.
import process from 'node:process';
import { readGraph, hostPlatform, toNdjsonLine, type ImageRecord } from '@pipekit/wire';
import { Store } from '@pipekit/cas-store';
import { Progress } from './progress/events.ts';
import { createRenderer } from './progress/renderers.ts';
import { solve } from './solver.ts';

export type SolveCommand = {
  input: AsyncIterable<Uint8Array>;
  store?: string;
  progress?: string;
  maxParallelism?: number;
  noCache?: boolean;
  noCacheFilter?: string[];
  /** print why steps missed the cache */
  explain?: boolean;
  allow?: string[];
  insecureRegistries?: string[];
  writeOut: (s: string) => Promise<void>;
  writeErr: (s: string) => void;
  stderrIsTty: boolean;
};

export async function runSolve(cmd: SolveCommand): Promise<ImageRecord[]> {
  const graph = await readGraph(cmd.input);
  const store = await Store.open(cmd.store);
  const renderer = createRenderer(cmd.progress ?? process.env.BUILDKIT_PROGRESS, cmd.writeErr, cmd.stderrIsTty, {
    rows: () => process.stderr.rows || 24,
    cols: () => process.stderr.columns || 80,
  }, { explain: cmd.explain });
  const progress = new Progress(renderer);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const images = await solve(graph, {
      store,
      progress,
      hostPlatform: hostPlatform(),
      maxParallelism: cmd.maxParallelism,
      noCache: cmd.noCache,
      noCacheFilter: cmd.noCacheFilter,
      allowInsecure: cmd.allow?.includes('security.insecure'),
      allowHostNetwork: cmd.allow?.includes('network.host'),
      insecureRegistries: cmd.insecureRegistries,
      signal: abort.signal,
    });
    for (const img of images) await cmd.writeOut(toNdjsonLine(img));
    return images;
  } finally {
    await store.settle();
    progress.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
