// From a solved ref to the image record export-oci reads: the layer chain plus
// the config with rootfs and history made consistent with those layers.
import type { HistoryEntry, ImageRecord, ResultRecord } from '@pipekit/wire';
import type { Store } from '@pipekit/cas-store';
import type { Ref } from './refs.ts';

/** Each layer needs one history entry without empty_layer; add or mark entries to match. */
export function normalizeHistory(history: HistoryEntry[], layerCount: number): HistoryEntry[] {
  const out = history.map((h) => ({ ...h }));
  let nonEmpty = out.filter((h) => !h.empty_layer).length;
  for (let i = 0; i < out.length && nonEmpty > layerCount; i++) {
    if (!out[i].empty_layer) {
      out[i].empty_layer = true;
      nonEmpty--;
    }
  }
  const missing = layerCount - nonEmpty;
  const pad: HistoryEntry[] = Array.from({ length: Math.max(0, missing) }, () => ({ created_by: '', comment: 'layer without history' }));
  return [...pad, ...out];
}

export function toImageRecord(store: Store, r: ResultRecord, ref: Ref): ImageRecord {
  const layers = ref.kind === 'layers' ? ref.layers.map((l) => ({ diffID: l.diffID, size: l.size, blob: l.blob })) : [];
  const config = {
    ...r.config,
    rootfs: { type: 'layers' as const, diff_ids: layers.map((l) => l.diffID) },
    history: normalizeHistory(r.config.history ?? [], layers.length),
  };
  return { v: 1, type: 'image', target: r.target, platform: r.platform, store: store.dir, layers, config };
}
