// The image config blob. Encoded as BuildKit writes it (patchImageConfig
// re-marshals a map[string]json.RawMessage): compact, top-level keys sorted,
// nested objects in the order the record carries them. With SOURCE_DATE_EPOCH,
// `created` becomes the epoch and the history of this build's steps is clamped
// to it (base-image history is left as it was, as BuildKit does).
import { WireFormatError, type HistoryEntry, type ImageConfig } from '@pipekit/wire';
import { jsonBlob, type JsonBlob } from './blob.ts';
import { goJson } from './json.ts';

export const MEDIA_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MEDIA_DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';

export type ConfigOptions = {
  mediaType?: string;
  /** diff ids of the exported layers when they differ from the record's (rewritten timestamps) */
  diffIDs?: string[];
  /** SOURCE_DATE_EPOCH, unix seconds */
  epoch?: number;
  /** how many bottom layers came from the base image (their history is not clamped) */
  baseLayers?: number;
};

/** Check the config against the layers it will ship with and encode it. */
export function configBlob(config: ImageConfig, diffIDs: string[], opts: ConfigOptions = {}): JsonBlob {
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new WireFormatError('image config: expected an object');
  if (typeof config.os !== 'string' || typeof config.architecture !== 'string') {
    throw new WireFormatError('image config: os and architecture must be strings');
  }
  const rootfs = config.rootfs as ImageConfig['rootfs'] | undefined;
  if (!rootfs || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) {
    throw new WireFormatError('image config: rootfs must be {"type":"layers","diff_ids":[...]}');
  }
  // A consumer unpacks the layers and checks each against diff_ids; a mismatch
  // would give an image that no runtime accepts, so refuse to write it.
  const want = rootfs.diff_ids;
  if (want.length !== diffIDs.length || want.some((d, i) => d !== diffIDs[i])) {
    const at = want.findIndex((d, i) => d !== diffIDs[i]);
    const where = want.length !== diffIDs.length ? `${want.length} diff_ids for ${diffIDs.length} layers` : `diff_ids[${at}] is ${want[at]}, layer ${at} is ${diffIDs[at]}`;
    throw new WireFormatError(`image config: rootfs.diff_ids do not match the image's layers (${where})`);
  }
  const patched: ImageConfig = { ...config };
  if (opts.diffIDs) patched.rootfs = { type: 'layers', diff_ids: opts.diffIDs };
  if (opts.epoch !== undefined) {
    patched.created = isoSeconds(opts.epoch);
    if (Array.isArray(config.history)) patched.history = clampHistory(config.history, opts.epoch, opts.baseLayers ?? 0);
  }
  const sorted: Record<string, unknown> = {};
  const raw = patched as unknown as Record<string, unknown>;
  for (const key of Object.keys(raw).sort()) if (raw[key] !== undefined) sorted[key] = raw[key];
  return jsonBlob(opts.mediaType ?? MEDIA_CONFIG, goJson(sorted));
}

/** RFC 3339 in whole seconds, as Go's time.Time marshals a whole-second UTC time. */
export function isoSeconds(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Entries after the base image's (those up to its last layer) get created <= epoch. */
function clampHistory(history: HistoryEntry[], epoch: number, baseLayers: number): HistoryEntry[] {
  let layers = 0;
  let firstNew = 0;
  if (baseLayers > 0) {
    for (let i = 0; i < history.length; i++) {
      if (!history[i].empty_layer) layers++;
      if (layers === baseLayers) {
        firstNew = i + 1;
        break;
      }
    }
  }
  const limit = epoch * 1000;
  return history.map((h, i) => {
    if (i < firstNew) return h;
    const t = h.created ? Date.parse(h.created) : NaN;
    if (!Number.isNaN(t) && t <= limit) return h;
    // ocispec.History field order, so an added `created` comes first as Go writes it
    const { created: _old, created_by, author, comment, empty_layer, ...rest } = h;
    return { created: isoSeconds(epoch), created_by, author, comment, empty_layer, ...rest };
  });
}
