import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { metadataFor, writeMetadataFiles } from './metadata.ts';
import type { ExportResult } from './export.ts';
import { cleanup, tempDir } from './testing.ts';

const m = `sha256:${'a'.repeat(64)}`;
const c = `sha256:${'c'.repeat(64)}`;
const one: ExportResult = { digest: m, configDigest: c, size: 10, mediaType: 'application/vnd.oci.image.manifest.v1+json', descriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: m, size: 10 }, names: ['docker.io/library/app:1'] };

test("buildx's keys, config digest only for one platform", () => {
  assert.equal(Object.keys(metadataFor([one])), ['containerimage.config.digest', 'containerimage.descriptor', 'containerimage.digest', 'image.name']);
  assert.is(metadataFor([{ ...one, configDigest: '' }])['containerimage.config.digest'], undefined);
  assert.equal(metadataFor([]), {});
  assert.is(metadataFor([one, { ...one, names: ['r/x:1'] }])['image.name'], 'docker.io/library/app:1,r/x:1');
});

test('files: metadata JSON and the iid (config digest, else the index digest)', async () => {
  const dir = await tempDir();
  await writeMetadataFiles([one], { metadataFile: path.join(dir, 'm.json'), iidfile: path.join(dir, 'iid') });
  assert.is(JSON.parse(await fs.readFile(path.join(dir, 'm.json'), 'utf8'))['containerimage.digest'], m);
  assert.is(await fs.readFile(path.join(dir, 'iid'), 'utf8'), c);
  await writeMetadataFiles([{ ...one, configDigest: '' }], { iidfile: path.join(dir, 'iid2') });
  assert.is(await fs.readFile(path.join(dir, 'iid2'), 'utf8'), m);
});

test.after(cleanup);

test.run();
