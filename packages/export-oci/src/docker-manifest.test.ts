import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dockerArchiveFiles } from './docker-manifest.ts';
import { normalizeNames } from './names.ts';

const cfg = `sha256:${'c'.repeat(64)}`;
const l1 = `sha256:${'1'.repeat(64)}`;
const files = (name?: string) => Object.fromEntries(dockerArchiveFiles(cfg, [l1], normalizeNames(name)).map((f) => [f.name, f.data.toString()]));

test('manifest.json with familiar RepoTags and blob paths', () => {
  const f = files('example:latest,ghcr.io/o/app:1,docker.io/user/x');
  assert.is(
    f['manifest.json'],
    `[{"Config":"blobs/sha256/${'c'.repeat(64)}","RepoTags":["example:latest","ghcr.io/o/app:1","user/x:latest"],"Layers":["blobs/sha256/${'1'.repeat(64)}"]}]`,
  );
  assert.equal(JSON.parse(f.repositories), {
    example: { latest: 'c'.repeat(64) },
    'ghcr.io/o/app': { '1': 'c'.repeat(64) },
    'user/x': { latest: 'c'.repeat(64) },
  });
});

test('unnamed: RepoTags null and no repositories file', () => {
  const f = files();
  assert.is(JSON.parse(f['manifest.json'])[0].RepoTags, null);
  assert.is(f.repositories, undefined);
});

test('digest-only names are not tags; tag+digest keeps the tag', () => {
  const dg = `sha256:${'d'.repeat(64)}`;
  assert.is(files(`x@${dg}`).repositories, undefined);
  assert.equal(JSON.parse(files(`x:v@${dg}`)['manifest.json'])[0].RepoTags, ['x:v']);
});

test('registry with a port keeps host:port in the repository key', () => {
  assert.equal(Object.keys(JSON.parse(files('127.0.0.1:5000/x:t').repositories)), ['127.0.0.1:5000/x']);
});

test.run();
