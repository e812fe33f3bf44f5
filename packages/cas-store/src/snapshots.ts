// Snapshots are directories in overlayfs "upper" format (deletions are 0/0 char
// devices, replaced dirs carry the opaque xattr), one per layer. Names are short
// because a mount's lowerdir list must fit in one 4 KiB page.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, promises as fs, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

export class SnapshotStore {
  readonly root: string;
  constructor(storeDir: string) {
    this.root = path.join(storeDir, 'snapshots');
  }

  dir(id: string): string {
    return path.join(this.root, id);
  }

  /** An always-empty directory, used as the bottom lower of read-only mounts. */
  async emptyDir(): Promise<string> {
    const d = path.join(this.root, 'empty');
    await fs.mkdir(d, { recursive: true });
    return d;
  }

  /** A fresh directory to fill; commit() gives it its final name. */
  // prepare and commit are synchronous: one or two syscalls each, per step
  async prepare(): Promise<{ id: string; dir: string }> {
    mkdirSync(path.join(this.root, 'tmp'), { recursive: true });
    const id = `tmp/${process.pid}-${randomBytes(6).toString('hex')}`;
    const dir = this.dir(id);
    mkdirSync(dir, { mode: 0o755 });
    return { id, dir };
  }

  async commit(tmpId: string): Promise<string> {
    const id = randomBytes(5).toString('hex');
    renameSync(this.dir(tmpId), this.dir(id));
    return id;
  }

  async exists(id: string): Promise<boolean> {
    return existsSync(this.dir(id));
  }

  /** remove(), synchronously: for a snapshot known to be small (a thread-pool trip per entry costs more) */
  removeSync(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
    rmSync(`${this.dir(id)}.size`, { force: true });
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.dir(id), { recursive: true, force: true });
    await fs.rm(`${this.dir(id)}.size`, { force: true });
  }
}
