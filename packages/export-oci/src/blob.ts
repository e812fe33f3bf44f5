// A small JSON document that becomes a blob of the image (config, manifest,
// index): its bytes plus the descriptor naming them.
import { createHash } from 'node:crypto';
import type { Descriptor } from '@pipekit/wire';

export type JsonBlob = { desc: Descriptor; data: Buffer };

export function jsonBlob(mediaType: string, text: string): JsonBlob {
  const data = Buffer.from(text, 'utf8');
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  return { desc: { mediaType, digest, size: data.length }, data };
}
