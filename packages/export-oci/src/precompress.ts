// Compressing layers ahead of the export. A build spends most of its time
// waiting on containers; layers it committed earlier can be compressed then,
// exactly as export-oci would compress them (exportLayer: same code, same
// variant, same mapping file), so the export after the build copies stored
// blobs instead of compressing on the critical path.
//
// Work runs only while the caller says it is waiting on something slow
// (during()), on one thread at nice 19, so it takes the CPU a build leaves
// idle rather than the build's own.
// stop() ends it: a blob being written is discarded by the store (temp file,
// never renamed), and the export compresses that layer itself. finish() first
// does what is left when that is small (the last step's layer, typically).
import { BlobStore } from '@pipekit/cas-store';
import type { Layer } from '@pipekit/wire';
import { CompressPool } from './compress-pool.ts';
import { MEDIA_LAYER_TAR, exportLayer } from './layers.ts';
import type { LayerCompression } from './decompress.ts';

const LONG_WAIT_MS = 250;
/**
 * What finish() still compresses, in uncompressed bytes: on a thread already
 * started that is ~1 ms for a step's typical layer, where the export, which
 * has yet to load its codec or post to its threads, spent 6-25 ms on it on
 * the build's critical path. Bigger work is the export's, on every core.
 */
export const FINISH_MAX_BYTES = 256 * 1024;

export type PrecompressOptions = {
  storeDir: string;
  compression: Exclude<LayerCompression, 'uncompressed'>;
  /** SOURCE_DATE_EPOCH as the export will see it */
  epoch?: number;
};

export class Precompressor {
  private readonly opts: PrecompressOptions;
  private readonly blobs: BlobStore;
  // nice 19: steps that compute keep the CPU; waiting ones leave it to this
  private readonly pool = new CompressPool({ threads: 1, nice: 19, inlineBelow: 0 });
  private readonly queue: Layer[] = [];
  private readonly seen = new Set<string>();
  private waiting = 0;
  private current: Promise<void> | undefined;
  private currentBytes = 0;
  private stopped = false;

  constructor(opts: PrecompressOptions) {
    this.opts = opts;
    this.blobs = new BlobStore(opts.storeDir);
  }

  /** A layer built here (a plain tar blob) that an export will want compressed. */
  offer(layer: Layer): void {
    if (this.stopped || layer.blob.mediaType !== MEDIA_LAYER_TAR || this.seen.has(layer.diffID)) return;
    this.seen.add(layer.diffID);
    this.queue.push(layer);
    this.pump();
  }

  /**
   * Compress while `p` (a running container, say) is pending, once it has been
   * pending a while: starting a short step is CPU work of its own (runc), a
   * long one mostly waits.
   */
  async during<T>(p: Promise<T>): Promise<T> {
    let counted = false;
    const timer = setTimeout(() => {
      counted = true;
      this.waiting++;
      this.pump();
    }, LONG_WAIT_MS);
    try {
      return await p;
    } finally {
      clearTimeout(timer);
      if (counted) this.waiting--;
    }
  }

  /**
   * The build is over: when a thread is already up, the layers queued (and the
   * one in progress) are compressed now if together they are small (see
   * FINISH_MAX_BYTES). Nothing is running when it returns: otherwise it has
   * stopped, leaving the rest to the export. stop() still ends the thread,
   * which can wait until the build's records are out.
   */
  async finish(): Promise<void> {
    const bytes = this.queue.reduce((n, l) => n + l.size, this.current ? this.currentBytes : 0);
    if (this.stopped || this.pool.started === 0 || bytes > FINISH_MAX_BYTES) return this.stop();
    this.waiting++;
    try {
      this.pump();
      // each job's end starts the next (see pump)
      while (this.current) await this.current;
    } finally {
      this.waiting--;
      this.stopped = true;
    }
  }

  /** Stop: queued layers are dropped and the one in progress is abandoned. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    await this.pool.close();
    await this.current;
    // a block submitted while the job unwound may have restarted a thread
    await this.pool.close();
  }

  private pump(): void {
    if (this.stopped || this.current || this.waiting === 0) return;
    const layer = this.queue.shift();
    if (!layer) return;
    this.currentBytes = layer.size;
    this.current = exportLayer(layer, { storeDir: this.opts.storeDir, blobs: this.blobs, compression: this.opts.compression, epoch: this.opts.epoch, pool: this.pool })
      // best effort: the export does whatever is not done here
      .then(() => undefined, () => undefined)
      .finally(() => {
        this.current = undefined;
        this.pump();
      });
  }
}
