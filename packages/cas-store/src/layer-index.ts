// Layers by diff id: which blob holds the tar and which snapshot holds the
// unpacked files. Either may be missing (a pulled layer not yet unpacked).
import path from 'node:path';
import type { Layer } from '@pipekit/wire';
import { readJsonMaybe, writeJsonAtomic } from './atomic.ts';

export type LayerEntry = Layer & { snapshot: string | null };

export class LayerIndex {
  readonly root: string;
  constructor(storeDir: string) {
    this.root = path.join(storeDir, 'layers', 'by-diffid');
  }

  private file(diffID: string): string {
    return path.join(this.root, `${diffID.replace(/^sha256:/, '')}.json`);
  }

  get(diffID: string): Promise<LayerEntry | undefined> {
    return readJsonMaybe<LayerEntry>(this.file(diffID));
  }

  put(entry: LayerEntry): Promise<void> {
    return writeJsonAtomic(this.file(entry.diffID), entry);
  }
}
