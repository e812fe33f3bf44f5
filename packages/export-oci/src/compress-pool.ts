// Compression threads: block jobs (block-codec.mjs) run on worker threads so a
// large layer uses every core. Node gets node:worker_threads; Deno gets its web
// Worker, whose transfers are fast where its node:worker_threads copies slowly.
// With `threads: 0` (or for a pool that cannot start workers) jobs run inline on
// the calling thread — same code, same bytes, one core.
import { availableParallelism, setPriority } from 'node:os';
import process from 'node:process';
import { Worker as NodeWorker } from 'node:worker_threads';
import { runBlock, type BlockJob, type BlockResult } from './block-codec.mjs';

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';
const WORKER_URL = new URL('./compress-worker.mjs', import.meta.url);

type Reply = { id: number; out?: Uint8Array; crc?: number; error?: string } | { tid: number };
type Pending = { resolve: (r: BlockResult) => void; reject: (e: Error) => void };
type Thread = { post(msg: unknown, transfer: ArrayBuffer[]): void; close(): Promise<void>; busy: number; /** its Linux thread id, once it lowered its priority */ tid?: number };

export type PoolOptions = {
  /** worker threads; default: one per core; 0 runs jobs inline */
  threads?: number;
  /** the threads' nice value (19: only CPU nobody else wants) */
  nice?: number;
  /**
   * Jobs smaller than this many bytes run inline while no thread has started
   * (default INLINE_BELOW; 0: never inline, for a pool whose work must stay
   * on its low-priority thread).
   */
  inlineBelow?: number;
};

// Starting the threads costs ~90 ms here before the first job is done (each
// loads a runtime and compiles the codec); cold, inline gzip of a 64 KiB block
// took 19 ms, of 256 KiB 50 ms, of 1 MiB 111 ms. So a small layer (most RUN
// steps make one) is cheaper inline than on threads started for it. Threads
// already started (and warmed) take every job: inline, the main thread would
// load and compile the codec for it.
export const INLINE_BELOW = 128 * 1024;

/** Set a thread's nice value where its id is known; raising a priority takes root. */
function setThreadPriority(thread: Thread, nice: number): void {
  try {
    if (thread.tid !== undefined) setPriority(thread.tid, nice);
  } catch {
    // not allowed to raise a priority
  }
}

/** A fixed set of worker threads, started on first use; close() when done (Deno waits for open workers). */
export class CompressPool {
  readonly threads: number;
  private readonly nice: number | undefined;
  private readonly inlineBelow: number;
  private workers: Thread[] = [];
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private failed: Error | undefined;
  /** the threads run at nice 19 until the first job (see warm) */
  private idleNiced = false;

  constructor(opts: PoolOptions = {}) {
    this.threads = Math.max(0, Math.floor(opts.threads ?? availableParallelism()));
    this.nice = opts.nice;
    this.inlineBelow = opts.inlineBelow ?? INLINE_BELOW;
  }

  /** Threads running now (0 until a job or warm() needs them). */
  get started(): number {
    return this.workers.length;
  }

  /** Jobs posted to threads and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** How many jobs to keep in flight for full use of the pool. */
  get width(): number {
    return Math.max(1, this.threads) * 2;
  }

  run(job: BlockJob): Promise<BlockResult> {
    if (this.threads === 0 || (!this.workers.length && job.data.length < this.inlineBelow)) {
      return Promise.resolve().then(() => runBlock(job));
    }
    if (this.failed) return Promise.reject(this.failed);
    if (!this.workers.length) this.start();
    if (this.idleNiced) {
      // real work gets the pool's own priority: at once where the thread's id is
      // known (it may still be warming up), else as its next message, before the job
      this.idleNiced = false;
      for (const w of this.workers) {
        setThreadPriority(w, this.nice ?? 0);
        w.post({ nice: this.nice ?? 0 }, []);
      }
    }
    const id = this.nextId++;
    const worker = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    worker.busy++;
    return new Promise<BlockResult>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (r) => (worker.busy--, resolve(r)),
        reject: (e) => (worker.busy--, reject(e)),
      });
      // the job's bytes are copied so the caller may reuse its buffers
      const data = job.data.slice();
      const dict = job.dict?.slice();
      worker.post({ id, job: { ...job, data, dict } }, [data.buffer as ArrayBuffer]);
    });
  }

  /**
   * Start the threads now rather than on the first job (no-op when running
   * inline or already started). With `codec`, each thread also compresses some
   * sample data once, so the codec is compiled (JIT) before real jobs arrive:
   * cold, a 2 KiB layer took ~30 ms.
   *
   * `idleNice` (19): start them at that priority, taking ~0.4 s of CPU here
   * (2 threads with their warm-up) only where nothing else wants it, e.g.
   * from a build that is still running; the first job puts them back. Only
   * root may raise a priority again: otherwise they start as they are.
   */
  warm(codec?: { codec: 'gzip' | 'zstd'; level: number }, idleNice?: number): void {
    if (this.threads === 0 || this.failed || this.workers.length) return;
    const lower = idleNice !== undefined && this.nice === undefined && process.getuid?.() === 0;
    this.start(lower ? idleNice : this.nice);
    this.idleNiced = lower;
    if (codec) for (const w of this.workers) w.post({ warmup: codec }, []);
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    // a thread at nice 19 gets ~1.5 % of a core others want: on a busy
    // machine its winding down would hold up the end of the build. Back to
    // normal priority first (root may; otherwise it winds down as it can)
    for (const w of workers) setThreadPriority(w, 0);
    await Promise.all(workers.map((w) => w.close()));
    this.failWith(new Error('compression pool closed'));
    this.failed = undefined;
  }

  private start(nice = this.nice): void {
    for (let i = 0; i < this.threads; i++) {
      const w = isDeno ? this.webWorker() : this.nodeWorker();
      // the first message, so it applies before any job
      if (nice !== undefined) w.post({ nice }, []);
      this.workers.push(w);
    }
  }

  private onReply(thread: Thread, r: Reply): void {
    if ('tid' in r) {
      thread.tid = r.tid;
      return;
    }
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (r.error !== undefined) p.reject(new Error(`compression failed: ${r.error}`));
    else p.resolve({ out: r.out!, crc: r.crc ?? 0 });
  }

  private failWith(err: Error): void {
    this.failed = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private nodeWorker(): Thread {
    const w = new NodeWorker(WORKER_URL);
    const thread: Thread = { post: (m, t) => w.postMessage(m, t), close: () => w.terminate().then(() => {}), busy: 0 };
    w.on('message', (r: Reply) => this.onReply(thread, r));
    w.on('error', (err) => this.failWith(new Error(`compression thread failed: ${err.message}`)));
    return thread;
  }

  private webWorker(): Thread {
    type WebWorker = { postMessage(m: unknown, t: ArrayBuffer[]): void; terminate(): void; onmessage: unknown; onerror: unknown };
    const Ctor = (globalThis as unknown as { Worker: new (u: URL, o: { type: 'module' }) => WebWorker }).Worker;
    const w = new Ctor(WORKER_URL, { type: 'module' });
    const thread: Thread = { post: (m, t) => w.postMessage(m, t), close: async () => w.terminate(), busy: 0 };
    w.onmessage = (ev: { data: Reply }) => this.onReply(thread, ev.data);
    w.onerror = (ev: { message?: string; preventDefault?: () => void }) => {
      ev.preventDefault?.();
      this.failWith(new Error(`compression thread failed: ${ev.message ?? 'unknown error'}`));
    };
    return thread;
  }
}
