// The solver: every vertex is solved once (memoised by digest), inputs first and
// concurrently; a vertex whose content-aware cache key has a record is CACHED,
// otherwise it runs within the --max-parallelism budget.
import path from 'node:path';
import { canonicalDigest, opKind, BuildError, type Graph, type ImageRecord, type OpKind, type OpRecord, type Platform, type ResultRecord } from '@pipekit/wire';
import type { Store } from '@pipekit/cas-store';
import type { KeyReads, OpHandler, SolveContext, Vertex } from './context.ts';
import type { Progress } from './progress/events.ts';
import { EMPTY, layersSettled, packPendingNow, type Ref } from './refs.ts';
import { Semaphore } from './semaphore.ts';
import { checkEntitlements } from './entitlements.ts';
import { settle } from './trash.ts';
import { StepError } from './step-error.ts';
import { execHandler } from './ops/exec.ts';
import { fileHandler } from './ops/file.ts';
import { isLocalSource, sourceHandler } from './ops/source.ts';
import { diffHandler, mergeHandler } from './ops/merge.ts';
import { claimStep, loadCached, storeCached } from './cache.ts';
import { toImageRecord } from './result.ts';
import { explainMiss, previousResult, readNote, rememberStep, type KeyParts } from './explain.ts';
import { recordHash } from './fs/record-hash.ts';
import { DigestIndex } from './fs/digest-index.ts';
import { ContextMemo } from './fs/context-memo.ts';

const HANDLERS: Record<OpKind, OpHandler> = {
  source: sourceHandler,
  exec: execHandler,
  file: fileHandler,
  merge: mergeHandler,
  diff: diffHandler,
};

export type SolveOptions = {
  store: Store;
  progress: Progress;
  hostPlatform: Platform;
  maxParallelism?: number;
  noCache?: boolean;
  /** stage names whose steps ignore the cache */
  noCacheFilter?: string[];
  allowInsecure?: boolean;
  allowHostNetwork?: boolean;
  insecureRegistries?: string[];
  signal?: AbortSignal;
  session?: SolveContext['session'];
  precompress?: SolveContext['precompress'];
  runners?: SolveContext['runners'];
};

type Solved = { key: string; outputs: Ref[] };

/**
 * Write back what a solve learnt about contexts (checksums, digests) and finish
 * removing its scratch dirs: the caller's, once the results are out, whether
 * the solve succeeded or not.
 */
export async function saveSolveState(): Promise<void> {
  await DigestIndex.saveAll();
  await ContextMemo.saveAll();
  await settle();
}

export function vertexName(rec: OpRecord): string {
  if (rec.meta.name) return rec.meta.name;
  const op = rec.op;
  if (op.source) return op.source.identifier;
  if (op.exec) return op.exec.meta.args.join(' ');
  if (op.file) return op.file.actions.map((a) => Object.keys(a).find((k) => !['input', 'secondaryInput', 'output'].includes(k))).join(', ');
  return opKind(op);
}

export async function solve(graph: Graph, opts: SolveOptions): Promise<ImageRecord[]> {
  checkEntitlements(graph, { insecure: opts.allowInsecure ?? false, hostNetwork: opts.allowHostNetwork ?? false });
  const sem = new Semaphore(opts.maxParallelism ?? 1);
  const ctx: SolveContext = {
    store: opts.store,
    progress: opts.progress,
    signal: opts.signal ?? new AbortController().signal,
    allowInsecure: opts.allowInsecure ?? false,
    allowHostNetwork: opts.allowHostNetwork ?? false,
    hostPlatform: opts.hostPlatform,
    insecureRegistries: opts.insecureRegistries ?? [],
    session: opts.session,
    precompress: opts.precompress,
    runners: opts.runners,
  };
  const memo = new Map<string, Promise<Solved>>();
  // each run step's record, written once its layers are packed (see layersSettled)
  const recording: Promise<void>[] = [];

  const solveVertex = (digest: string): Promise<Solved> => {
    let p = memo.get(digest);
    if (!p) {
      p = solveOne(digest);
      memo.set(digest, p);
    }
    return p;
  };

  const solveOne = async (digest: string): Promise<Solved> => {
    const rec = graph.ops.get(digest);
    if (!rec) throw new BuildError(`op ${digest} is not in the graph`);
    const deps = await Promise.all(rec.op.inputs.map((i) => solveVertex(i.digest)));
    const v: Vertex = {
      rec,
      inputs: rec.op.inputs.map((i, n) => deps[n].outputs[i.index] ?? EMPTY),
      inputKeys: rec.op.inputs.map((i, n) => `${deps[n].key}#${i.index}`),
    };
    const kind = opKind(rec.op);
    const handler = HANDLERS[kind];
    const name = vertexName(rec);
    const inputs = rec.op.inputs.map((i) => i.digest);
    const fail = (err: unknown): never => {
      if (err instanceof StepError) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      ctx.progress.fail(digest, msg, name, inputs);
      throw new StepError(name, msg, rec.meta.locations, graph.sources, err);
    };
    if (ctx.signal.aborted) throw new BuildError('canceled');
    try {
      // a local directory is read fresh every build: nothing to cache or explain
      const cacheable = handler.cacheable && !isLocalSource(v);
      const ignore = opts.noCache || rec.meta.ignoreCache || (opts.noCacheFilter ?? []).includes(rec.meta.stage);
      // an entry of a local dir changed before this can be taken as it is now by the next build (see patch-previous.ts)
      const readAt = Date.now();
      const localDirs = v.inputs.flatMap((r) => (r.kind === 'dir' ? [path.resolve(r.dir)] : []));
      // a RUN reads its inputs' files alone; other ops read digests too (content keys, merges)
      if (kind !== 'exec') await layersSettled(v.inputs);
      let reads: KeyReads = { files: new Map(), mayRecall: cacheable && !ignore, recalled: false, readAt };
      let key = await handler.cacheKey(ctx, v, reads);
      if (cacheable && !ignore) {
        const hit = await loadCached(ctx.store, key);
        if (hit) {
          ctx.runners?.skipped(digest);
          ctx.progress.cached(digest, name, inputs);
          return { key, outputs: hit };
        }
      }
      // a remembered checksum stood in for reading the context: read it now, for
      // the explain note and for a copy that takes unchanged files from its last result
      if (reads.recalled) {
        reads = { files: new Map(), mayRecall: false, recalled: false, readAt };
        key = await handler.cacheKey(ctx, v, reads);
      }
      const { files } = reads;
      const parts: KeyParts = {
        definition: canonicalDigest({ ...rec.op, inputs: [] }),
        // a local directory's key is random; what is read from it is in `files`
        inputs: rec.op.inputs.map((i, n) => ({ name: vertexName(graph.ops.get(i.digest) as OpRecord), key: v.inputs[n].kind === 'dir' ? 'local' : v.inputKeys[n] })),
        files: new Map([...files].map(([p, r]) => [p, recordHash(r)])),
      };
      const note = cacheable && !ignore ? await readNote(ctx.store, rec) : undefined;
      const reason = cacheable ? explainMiss(note, parts, { noCache: ignore, key }) : '';
      // the same step in a concurrent build on this store runs once; the others wait for its record
      const claim = cacheable && !ignore ? await claimStep(ctx.store, key, ctx.signal) : undefined;
      if (claim?.hit) {
        ctx.runners?.skipped(digest);
        ctx.progress.cached(digest, name, inputs);
        return { key, outputs: claim.hit };
      }
      if (cacheable && !ignore) v.previous = () => previousResult(ctx.store, note, parts, localDirs);
      let outputs: Ref[];
      try {
        outputs = await sem.run(async () => {
          ctx.progress.start(digest, name, inputs);
          // the steps after this one will run too: a runner for them starts now
          if (cacheable) ctx.runners?.missed(digest);
          if (reason) ctx.progress.explain(digest, reason);
          return handler.run(ctx, v);
        });
      } catch (err) {
        await claim?.release();
        throw err;
      }
      ctx.progress.done(digest);
      // the steps after this one start on its files now; its record waits for the digests
      const recorded = (async () => {
        try {
          await layersSettled(outputs, false);
          for (const o of outputs) if (o.kind === 'layers') for (const l of o.layers) ctx.precompress?.offer(l);
          if (cacheable) {
            await storeCached(ctx.store, key, outputs, name);
            await rememberStep(ctx.store, rec, key, parts, { readAt, localDirs });
          }
        } finally {
          await claim?.release();
        }
      })().catch(fail);
      recording.push(recorded);
      recorded.catch(() => undefined);
      return { key, outputs };
    } catch (err) {
      return fail(err);
    }
  };

  const results: ImageRecord[] = [];
  const solved = Promise.all(graph.results.map(async (r: ResultRecord) => {
    if (!r.input) return EMPTY;
    const s = await solveVertex(r.input.digest);
    return s.outputs[r.input.index] ?? EMPTY;
  }));
  // every step that ran has written its record (or failed to) before the solve returns
  const refs = await solved.finally(() => {
    packPendingNow();
    return Promise.allSettled(recording);
  });
  await Promise.all(recording);
  // a step that was running when the build was canceled may still have finished: the build did not
  if (ctx.signal.aborted) throw new BuildError('canceled');
  graph.results.forEach((r, i) => results.push(toImageRecord(opts.store, r, refs[i])));
  return results;
}
