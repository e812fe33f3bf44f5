// What bench/export-compress.ts uses from export-oci, in one place.
import type { ImageRecord, Layer } from '@pipekit/wire';
export { CompressPool, compressStream, exportImages, type Codec } from '../packages/export-oci/src/index.ts';

export function imageRecordFor(storeDir: string, layer: Layer): ImageRecord {
  const platform = { os: 'linux', architecture: 'amd64', variant: '' };
  return {
    v: 1,
    type: 'image',
    target: '',
    platform,
    store: storeDir,
    layers: [layer],
    config: { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [layer.diffID] }, history: [{ created_by: 'bench' }] },
  };
}
