// What every op handler gets: the store, progress, options, and its vertex.
import type { Store } from '@pipekit/cas-store';
import type { OpRecord, Platform } from '@pipekit/wire';
import type { SessionProvider } from '@pipekit/secret-agent';
import type { Progress } from './progress/events.ts';
import type { Ref } from './refs.ts';
import type { PreviousResult } from './explain.ts';
import type { Precompressor } from '@pipekit/export-oci';
import type { RunnerPool } from './exec/runners.ts';

export type SolveContext = {
  store: Store;
  progress: Progress;
  /** processes and mounts to tear down on cancel */
  signal: AbortSignal;
  allowInsecure: boolean;
  allowHostNetwork: boolean;
  hostPlatform: Platform;
  insecureRegistries: string[];
  /** secrets and SSH agents for secret/ssh mounts and secret env (secret-agent) */
  session?: SessionProvider;
  /** compresses built layers for the export while containers run */
  precompress?: Precompressor;
  /** wrappers started ahead of the RUN steps that will use them */
  runners?: RunnerPool;
};

export type Vertex = {
  rec: OpRecord;
  /** the output ref of each op input, in op.inputs order */
  inputs: Ref[];
  /** cache keys of each input's output */
  inputKeys: string[];
  /** the last result of this step, if only the files it reads changed since (for steps about to run) */
  previous?: () => Promise<PreviousResult | undefined>;
};

/** What a cache key read by content. */
export type KeyReads = {
  /** a record per path read (explain notes, and a rebuilt copy takes unchanged files from its last result) */
  files: Map<string, string>;
  /** a remembered checksum of a local context may stand in for reading it: files then misses those paths */
  mayRecall: boolean;
  /** set when one did */
  recalled: boolean;
  /**
   * When the step began reading its local dirs (ms): a checksum taken later is
   * remembered as of then, the time its explain note keeps, so the next build
   * asks find about changes since one time, once
   */
  readAt?: number;
};

export type OpHandler = {
  /** content-aware cache key; may read input contents */
  cacheKey(ctx: SolveContext, v: Vertex, reads?: KeyReads): Promise<string>;
  run(ctx: SolveContext, v: Vertex): Promise<Ref[]>;
  /** results that are not layers (local dirs) are never cached */
  cacheable: boolean;
};
