import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MEDIA_INDEX, MEDIA_MANIFEST, descriptor, indexBlob, layoutIndexJson, manifestBlob, ociPlatform } from './manifest.ts';

const d = (c: string, mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip') => ({ mediaType, digest: `sha256:${c.repeat(64)}`, size: 7 });

test('manifest: MarshalIndent text in Go struct order', () => {
  const cfg = d('c', 'application/vnd.oci.image.config.v1+json');
  const m = manifestBlob(cfg, [d('1')]);
  assert.is(m.desc.mediaType, MEDIA_MANIFEST);
  assert.is(m.desc.size, m.data.length);
  assert.is(
    m.data.toString(),
    [
      '{',
      '  "schemaVersion": 2,',
      `  "mediaType": "${MEDIA_MANIFEST}",`,
      '  "config": {',
      '    "mediaType": "application/vnd.oci.image.config.v1+json",',
      `    "digest": "${cfg.digest}",`,
      '    "size": 7',
      '  },',
      '  "layers": [',
      '    {',
      '      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",',
      `      "digest": "${d('1').digest}",`,
      '      "size": 7',
      '    }',
      '  ]',
      '}',
    ].join('\n'),
  );
});

test('manifest with zero layers keeps an empty layers array', () => {
  assert.equal(JSON.parse(manifestBlob(d('c'), []).data.toString()).layers, []);
});

test('descriptor: fixed key order, sorted annotations, empty fields dropped', () => {
  const out = descriptor({ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, annotations: { z: '1', a: '2' }, size: 1, digest: 'sha256:x', mediaType: 'm' });
  assert.equal(Object.keys(out), ['mediaType', 'digest', 'size', 'annotations', 'platform']);
  assert.equal(Object.keys(out.annotations!), ['a', 'z']);
  assert.equal(Object.keys(out.platform!), ['architecture', 'os', 'variant']);
  assert.equal(Object.keys(descriptor({ ...d('1'), annotations: {} })), ['mediaType', 'digest', 'size']);
});

test('platform: empty variant left out', () => {
  assert.equal(ociPlatform({ os: 'linux', architecture: 'amd64', variant: '' }), { architecture: 'amd64', os: 'linux' });
});

test('image index blob is indented, index.json is compact', () => {
  const entries = [{ ...d('a', MEDIA_MANIFEST), platform: { os: 'linux', architecture: 'amd64' } }];
  const idx = indexBlob(entries);
  assert.is(idx.desc.mediaType, MEDIA_INDEX);
  assert.match(idx.data.toString(), /^\{\n  "schemaVersion": 2,\n  "mediaType": "application\/vnd.oci.image.index.v1\+json",\n  "manifests": \[/);
  assert.is(
    layoutIndexJson(entries).toString(),
    `{"schemaVersion":2,"mediaType":"${MEDIA_INDEX}","manifests":[{"mediaType":"${MEDIA_MANIFEST}","digest":"${entries[0].digest}","size":7,"platform":{"architecture":"amd64","os":"linux"}}]}`,
  );
});

test.run();
