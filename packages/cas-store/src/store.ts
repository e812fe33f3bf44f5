// The store: one directory shared by every tool.
//   blobs/sha256/<hex>      content (layer tars, manifests, configs)
//   snapshots/<id>/         unpacked layers (overlay upper format)
//   layers/by-diffid/*.json diff id -> blob + snapshot
//   cache/*.json            solver cache records
//   layers/gzip/*.json      diff id -> gzip blob (export-oci's compressed copies)
//   cachemounts/<hash>/     RUN --mount=type=cache directories (+ <hash>.json)
//   images/*.json           resolved image references (ref + platform -> manifest)
//   explain/*.json          llb-solve's note of each step's last key parts (--explain)
//   contexts/*.json         llb-solve's remembered file digests of build contexts
//   contenthash/*.json      llb-solve's content checksums of paths in layer chains
//   run/                    in-use markers of running builds, store locks
//   tmp/                    in-flight writes, named <what>-<pid>-<random>; leftovers
//                           of dead processes are removed when a store is opened
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BlobStore } from './blobs.ts';
import { CacheIndex } from './cache-index.ts';
import { LayerIndex } from './layer-index.ts';
import { resolveStoreDir } from './location.ts';
import { SnapshotStore } from './snapshots.ts';
import { cleanLeftovers } from './janitor.ts';
import process from 'node:process';

export class Store {
  readonly dir: string;
  readonly blobs: BlobStore;
  readonly snapshots: SnapshotStore;
  readonly layers: LayerIndex;
  readonly cache: CacheIndex;
  private constructor(dir: string) {
    this.dir = dir;
    this.blobs = new BlobStore(dir);
    this.snapshots = new SnapshotStore(dir);
    this.layers = new LayerIndex(dir);
    this.cache = new CacheIndex(dir);
  }

  /** Open (creating if needed) the store at --store/env/default. */
  static async open(dirFlag?: string): Promise<Store> {
    const dir = resolveStoreDir(dirFlag);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    for (const sub of ['blobs/sha256', 'snapshots', 'layers/by-diffid', 'cache', 'images', 'tmp', 'run']) {
      await fs.mkdir(path.join(dir, sub), { recursive: true });
    }
    // a killed build's temp dirs (and mounts on them) go before anyone trips over them
    await cleanLeftovers(dir);
    return new Store(dir);
  }

  /** A scratch directory under tmp/ for one operation; the caller removes it. */
  async tempDir(prefix: string): Promise<string> {
    return fs.mkdtemp(path.join(this.dir, 'tmp', `${prefix}-${process.pid}-`));
  }
}
