// Small files a COPY just wrote, kept (bounded) with their inode so the layer
// commit packs them from memory instead of opening each one again.
import type { Stats } from 'node:fs';
import type { KnownFiles } from '@pipekit/cas-store';

const MAX_BYTES = 64 * 1024 * 1024;

export class WrittenFiles {
  /** by path relative to the root the copy wrote into */
  readonly files: KnownFiles = new Map();
  private bytes = 0;
  private readonly shared = new Set<string>();
  private readonly prefix: string;
  /** the stats given are exactly what packing would lstat (see KnownFiles) */
  private readonly exactStats: boolean;

  constructor(root: string, opts: { exactStats?: boolean } = {}) {
    this.prefix = root.endsWith('/') ? root : `${root}/`;
    this.exactStats = opts.exactStats ?? false;
  }

  /** A file whose bytes live in a buffer held anyway (a previous layer): not counted against the bound. */
  addShared(rel: string, st: Stats, data: Buffer): void {
    this.files.set(rel, this.entry(st, data));
    this.shared.add(rel);
  }

  private entry(st: Stats, data: Buffer): { ino: number; data: Buffer; st?: Stats } {
    return this.exactStats ? { ino: st.ino, data, st } : { ino: st.ino, data };
  }

  add(abs: string, st: Stats, data: Buffer): void {
    if (!abs.startsWith(this.prefix)) return;
    const rel = abs.slice(this.prefix.length);
    const old = this.files.get(rel);
    if (old && !this.shared.delete(rel)) this.bytes -= old.data.length;
    if (this.bytes + data.length > MAX_BYTES) {
      this.files.delete(rel);
      return;
    }
    this.files.set(rel, this.entry(st, data));
    this.bytes += data.length;
  }
}
