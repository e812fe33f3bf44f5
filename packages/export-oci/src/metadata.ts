// buildx's --metadata-file and --iidfile: the same key names, so CI scripts
// written for `docker buildx build` read ours unchanged.
import { writeFileAtomic } from '@pipekit/cas-store';
import type { ExportResult } from './export.ts';

export type Metadata = {
  'containerimage.digest'?: string;
  'containerimage.config.digest'?: string;
  'containerimage.descriptor'?: ExportResult['descriptor'];
  'image.name'?: string;
};

/** The metadata of a run: the last image output's keys (outputs of one run describe the same image). */
export function metadataFor(results: ExportResult[]): Metadata {
  const r = results[results.length - 1];
  if (!r) return {};
  const out: Metadata = {};
  if (r.configDigest) out['containerimage.config.digest'] = r.configDigest;
  out['containerimage.descriptor'] = r.descriptor;
  out['containerimage.digest'] = r.digest;
  const names = [...new Set(results.flatMap((x) => x.names))];
  if (names.length) out['image.name'] = names.join(',');
  return out;
}

/** Write --metadata-file (indented JSON, keys sorted as Go's map encoding) and --iidfile (config digest, else manifest digest). */
export async function writeMetadataFiles(results: ExportResult[], files: { metadataFile?: string; iidfile?: string }): Promise<void> {
  const meta = metadataFor(results);
  if (files.metadataFile) await writeFileAtomic(files.metadataFile, `${JSON.stringify(meta, null, 2)}\n`);
  if (files.iidfile) {
    const id = meta['containerimage.config.digest'] ?? meta['containerimage.digest'];
    if (id) await writeFileAtomic(files.iidfile, id);
  }
}
