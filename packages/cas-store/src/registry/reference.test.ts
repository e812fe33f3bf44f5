import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '@pipekit/wire';
import { formatReference, parseReference } from './reference.ts';
import { registryBaseUrl } from './endpoint.ts';

const D = `sha256:${'a'.repeat(64)}`;

const cases: [string, string, string, string, string, string][] = [
  // input, registry, repository, tag, digest, canonical
  ['busybox', 'docker.io', 'library/busybox', 'latest', '', 'docker.io/library/busybox:latest'],
  ['busybox:1.36', 'docker.io', 'library/busybox', '1.36', '', 'docker.io/library/busybox:1.36'],
  ['foo/bar:1', 'docker.io', 'foo/bar', '1', '', 'docker.io/foo/bar:1'],
  ['foo/bar/baz', 'docker.io', 'foo/bar/baz', 'latest', '', 'docker.io/foo/bar/baz:latest'],
  ['docker.io/busybox', 'docker.io', 'library/busybox', 'latest', '', 'docker.io/library/busybox:latest'],
  ['docker.io/library/busybox:musl', 'docker.io', 'library/busybox', 'musl', '', 'docker.io/library/busybox:musl'],
  ['index.docker.io/library/busybox', 'docker.io', 'library/busybox', 'latest', '', 'docker.io/library/busybox:latest'],
  ['127.0.0.1:5000/x/y:t', '127.0.0.1:5000', 'x/y', 't', '', '127.0.0.1:5000/x/y:t'],
  ['127.0.0.1:5000/x', '127.0.0.1:5000', 'x', 'latest', '', '127.0.0.1:5000/x:latest'],
  ['localhost/x', 'localhost', 'x', 'latest', '', 'localhost/x:latest'],
  ['localhost:5000/x:v2', 'localhost:5000', 'x', 'v2', '', 'localhost:5000/x:v2'],
  ['[::1]:5000/a/b:c', '[::1]:5000', 'a/b', 'c', '', '[::1]:5000/a/b:c'],
  ['ghcr.io/owner/img:v1.2.3-rc_1', 'ghcr.io', 'owner/img', 'v1.2.3-rc_1', '', 'ghcr.io/owner/img:v1.2.3-rc_1'],
  ['Example.com/x', 'Example.com', 'x', 'latest', '', 'Example.com/x:latest'],
  ['a-b/c__d.e--f', 'docker.io', 'a-b/c__d.e--f', 'latest', '', 'docker.io/a-b/c__d.e--f:latest'],
  [`busybox@${D}`, 'docker.io', 'library/busybox', '', D, `docker.io/library/busybox@${D}`],
  [`busybox:1@${D}`, 'docker.io', 'library/busybox', '1', D, `docker.io/library/busybox:1@${D}`],
  [`127.0.0.1:5000/x@${D}`, '127.0.0.1:5000', 'x', '', D, `127.0.0.1:5000/x@${D}`],
  [`localhost:5000/x/y:t@${D}`, 'localhost:5000', 'x/y', 't', D, `localhost:5000/x/y:t@${D}`],
];

for (const [input, registry, repository, tag, digest, canonical] of cases) {
  test(`parses ${input}`, () => {
    const ref = parseReference(input);
    assert.equal({ registry: ref.registry, repository: ref.repository, tag: ref.tag, digest: ref.digest }, { registry, repository, tag, digest });
    assert.is(ref.toString(), canonical);
    assert.is(`${ref}`, canonical);
    assert.is(formatReference(ref), canonical);
    // The canonical form parses back to the same reference.
    assert.is(parseReference(canonical).toString(), canonical);
  });
}

test('toString is not an enumerable field', () => {
  assert.equal(Object.keys(parseReference('busybox')).sort(), ['digest', 'registry', 'repository', 'tag']);
  assert.is(JSON.stringify(parseReference('a/b:c')), '{"registry":"docker.io","repository":"a/b","tag":"c","digest":""}');
});

const invalid: [string, RegExp][] = [
  ['', /empty/],
  ['Busybox', /must be lowercase/],
  ['foo/Bar', /must be lowercase/],
  ['busybox:', /invalid tag ""/],
  ['busybox:-x', /invalid tag/],
  [`busybox:${'a'.repeat(129)}`, /invalid tag/],
  ['busybox@sha256:abc', /unsupported digest/],
  [`busybox@md5:${'a'.repeat(32)}`, /unsupported digest/],
  ['busybox@', /not a digest/],
  ['a//b', /empty path component/],
  ['/busybox', /empty path component|invalid registry/],
  ['busybox/', /empty path component/],
  ['foo_/bar', /invalid repository name component "foo_"/],
  ['-foo', /invalid repository name component/],
  ['foo bar', /whitespace/],
  ['127.0.0.1:5000/', /missing repository name|empty path component/],
  ['bad_host.com:x/y', /invalid registry/],
  [`${'a'.repeat(64)}`, /image ID/],
  [`x.io/${'a/'.repeat(130)}b`, /longer than 255/],
];
for (const [input, why] of invalid) {
  test(`rejects ${JSON.stringify(input).slice(0, 40)}`, () => {
    try {
      parseReference(input);
      assert.unreachable('should have thrown');
    } catch (err) {
      assert.instance(err, UsageError);
      assert.match((err as Error).message, /^invalid image reference /);
      assert.match((err as Error).message, why);
    }
  });
}

test('registry endpoints: docker.io API host, plain HTTP only for loopback and insecure', () => {
  assert.is(registryBaseUrl('docker.io'), 'https://registry-1.docker.io');
  assert.is(registryBaseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
  assert.is(registryBaseUrl('127.3.4.5:5000'), 'http://127.3.4.5:5000');
  assert.is(registryBaseUrl('localhost'), 'http://localhost');
  assert.is(registryBaseUrl('[::1]:5000'), 'http://[::1]:5000');
  assert.is(registryBaseUrl('ghcr.io'), 'https://ghcr.io');
  assert.is(registryBaseUrl('10.0.0.2:5000'), 'https://10.0.0.2:5000');
  assert.is(registryBaseUrl('10.0.0.2:5000', ['10.0.0.2:5000']), 'http://10.0.0.2:5000');
});

test.run();
