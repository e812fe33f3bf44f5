// llb-solve as a library call: read a graph, solve it against the store with
// progress on stderr, write one image record per result to stdout.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import process from 'node:process';
import { readGraph, hostPlatform, ociRuntime, toNdjsonLine, type Graph, type ImageRecord } from '@pipekit/wire';
import { resolveStoreDir, Store } from '@pipekit/cas-store';
import { checkGraphSecrets, LogMasker, openSession, sessionMasks, type SessionProvider } from '@pipekit/secret-agent';
import { Progress, type Renderer } from './progress/events.ts';
import { createRenderer } from './progress/renderers.ts';
import { saveSolveState, solve } from './solver.ts';
import { touchHits } from './cache.ts';
import { beginBuildCache } from './cache-io/run-cache.ts';
import { dropDuplicates } from './refs.ts';
import { Precompressor, readEpoch } from '@pipekit/export-oci';
import { RunnerPool } from './exec/runners.ts';

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
  /** --secret specs (in-process secret-agent) */
  secrets?: string[];
  /** --ssh specs */
  ssh?: string[];
  /** --session SOCKET of a separately started secret-agent */
  session?: string;
  /** --cache-from / --cache-to specs (type=local|registry|inline,...) */
  cacheFrom?: string[];
  cacheTo?: string[];
  /** --registry-ca [HOST=]FILE */
  registryCAs?: string[];
  /** --gc-config: buildkitd.toml-style GC policy run after the build */
  gcConfig?: string;
  /** compress built layers ahead for export-oci (default gzip) */
  precompress?: 'gzip' | 'zstd' | 'none';
  writeOut: (s: string) => Promise<void>;
  /** after the records: give the reader end of input before store bookkeeping and GC */
  closeOut?: () => Promise<void>;
  writeErr: (s: string) => void;
  /** a function when asking costs something (making process.stderr): asked only by progress modes that depend on it */
  stderrIsTty: boolean | (() => boolean);
};

/** Progress that masks secrets even when a step's output cuts one across two chunks. */
class MaskedProgress extends Progress {
  private masker: LogMasker;
  constructor(renderer: Renderer, masks: string[]) {
    super(renderer);
    // not this.mask(): Progress masks one value at a time, and a large multi-line secret brings thousands
    this.masker = new LogMasker(masks);
  }
  override log(digest: string, stream: 1 | 2, data: Uint8Array): void {
    const text = this.masker.push(`${stream}:${digest}`, data);
    if (text) super.log(digest, stream, Buffer.from(text));
  }
  private flushLogs(digest: string): void {
    for (const stream of [1, 2] as const) {
      const text = this.masker.flush(`${stream}:${digest}`);
      if (text) super.log(digest, stream, Buffer.from(text));
    }
  }
  override done(digest: string): void {
    this.flushLogs(digest);
    super.done(digest);
  }
  override fail(digest: string, err: string, name?: string, inputs?: string[]): void {
    this.flushLogs(digest);
    super.fail(digest, this.masker.redact(err), name, inputs);
  }
}

/** Layers are compressed ahead as export-oci will want them: its default level, SOURCE_DATE_EPOCH as it reads it. */
function precompressor(cmd: SolveCommand, storeDir: string): Precompressor | undefined {
  const compression = cmd.precompress ?? 'gzip';
  if (compression === 'none') return undefined;
  let epoch: number | undefined;
  try {
    epoch = readEpoch();
  } catch {
    return undefined; // export-oci will refuse the value itself
  }
  return new Precompressor({ storeDir, compression, epoch });
}

export async function runSolve(cmd: SolveCommand): Promise<ImageRecord[]> {
  // secrets are read (and bad specs refused) before anything else happens
  const session = await openSession({ secrets: cmd.secrets, ssh: cmd.ssh, session: cmd.session });
  try {
    // the store opens, and node:crypto loads (op digests are checked as they
    // are read), while the graph is still on its way down the pipe; a store not
    // made yet waits for a valid graph, so bad input leaves no directory behind
    const opening = existsSync(resolveStoreDir(cmd.store)) ? Store.open(cmd.store) : undefined;
    opening?.catch(() => undefined);
    setImmediate(() => createHash('sha256'));
    const graph = await readGraph(cmd.input);
    checkGraphSecrets(graph, await session?.info());
    return await solveGraph(cmd, graph, await (opening ?? Store.open(cmd.store)), session);
  } finally {
    await session?.close();
  }
}

async function solveGraph(cmd: SolveCommand, graph: Graph, store: Store, session: SessionProvider | undefined): Promise<ImageRecord[]> {
  const renderer = createRenderer(cmd.progress ?? process.env.BUILDKIT_PROGRESS, cmd.writeErr, cmd.stderrIsTty, {
    rows: () => process.stderr.rows || 24,
    cols: () => process.stderr.columns || 80,
  }, { explain: cmd.explain });
  const progress = session ? new MaskedProgress(renderer, await sessionMasks(session)) : new Progress(renderer);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const warn = (msg: string) => cmd.writeErr(`llb-solve: ${msg}\n`);
  const cache = await beginBuildCache(store, graph, { cacheFrom: cmd.cacheFrom, cacheTo: cmd.cacheTo, insecureRegistries: cmd.insecureRegistries, registryCAs: cmd.registryCAs, gcConfig: cmd.gcConfig, warn });
  const precompress = precompressor(cmd, store.dir);
  const maxParallelism = cmd.maxParallelism ?? cache.maxParallelism ?? os.cpus().length;
  const runners = RunnerPool.for(graph, ociRuntime(), maxParallelism);
  abort.signal.addEventListener('abort', () => runners?.kill(), { once: true });
  let ok = false;
  try {
    const images = await solve(graph, {
      store,
      progress,
      hostPlatform: hostPlatform(),
      maxParallelism,
      noCache: cmd.noCache,
      noCacheFilter: cmd.noCacheFilter,
      allowInsecure: cmd.allow?.includes('security.insecure'),
      allowHostNetwork: cmd.allow?.includes('network.host'),
      insecureRegistries: cmd.insecureRegistries,
      signal: abort.signal,
      session,
      precompress,
      runners,
    });
    // what is small is done now, what is left would race the export for the same work
    await precompress?.finish();
    await cache.finish(images);
    for (const img of images) await cmd.writeOut(toNdjsonLine(img));
    await cmd.closeOut?.();
    ok = true;
    return images;
  } finally {
    await precompress?.stop();
    await runners?.close();
    // after the records are out: off a cached build's critical path
    await touchHits(store).catch((err) => warn(`cannot record cache use: ${(err as Error).message}`));
    // a failed build may still have steps reading them: left to GC then
    if (ok) await dropDuplicates(store).catch((err) => warn(`cannot remove duplicate snapshots: ${(err as Error).message}`));
    await saveSolveState();
    await cache.close(ok);
    progress.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
