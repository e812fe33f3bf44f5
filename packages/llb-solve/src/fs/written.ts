// Small files a COPY just wrote, kept (bounded) with their inode so the layer
// commit packs them from memory instead of opening each one again.
import type { KnownFiles } from '@pipekit/cas-store';

const MAX_BYTES = 64 * 1024 * 1024;

export class WrittenFiles {
  /** by path relative to the root the copy wrote into */
  readonly files: KnownFiles = new Map();
  private bytes = 0;
  private readonly shared = new Set<string>();
  private readonly prefix: string;

  constructor(root: string) {
    this.prefix = root.endsWith('/') ? root : `${root}/`;
  }

  /** A file whose bytes live in a buffer held anyway (a previous layer): not counted against the bound. */
  addShared(rel: string, ino: number, data: Buffer): void {
    this.files.set(rel, { ino, data });
    this.shared.add(rel);
  }

  add(abs: string, ino: number, data: Buffer): void {
    if (!abs.startsWith(this.prefix)) return;
    const rel = abs.slice(this.prefix.length);
    const old = this.files.get(rel);
    if (old && !this.shared.delete(rel)) this.bytes -= old.data.length;
    if (this.bytes + data.length > MAX_BYTES) {
      this.files.delete(rel);
      return;
    }
    this.files.set(rel, { ino, data });
    this.bytes += data.length;
  }
}
