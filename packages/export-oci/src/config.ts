// The image config blob. Encoded as BuildKit writes it (patchImageConfig
// re-marshals a map[string]json.RawMessage): compact, top-level keys sorted,
// nested objects in the order the record carries them.
import { WireFormatError, type ImageConfig } from '@pipekit/wire';
import { jsonBlob, type JsonBlob } from './blob.ts';
import { goJson } from './json.ts';

export const MEDIA_CONFIG = 'application/vnd.oci.image.config.v1+json';

/** Check the config against the layers it will ship with and encode it. */
export function configBlob(config: ImageConfig, diffIDs: string[]): JsonBlob {
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
  const sorted: Record<string, unknown> = {};
  const raw = config as unknown as Record<string, unknown>;
  for (const key of Object.keys(raw).sort()) if (raw[key] !== undefined) sorted[key] = raw[key];
  return jsonBlob(MEDIA_CONFIG, goJson(sorted));
}
