import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '@pipekit/wire';
import { normalizeName, normalizeNames } from './names.ts';

test('Docker Hub short names get docker.io/library/ and :latest', () => {
  assert.equal(normalizeName('example'), {
    full: 'docker.io/library/example:latest',
    familiar: 'example:latest',
    familiarRepo: 'example',
    tag: 'latest',
    refName: 'latest',
  });
  assert.is(normalizeName('example:v1').full, 'docker.io/library/example:v1');
  assert.is(normalizeName('user/repo:t').full, 'docker.io/user/repo:t');
  assert.is(normalizeName('user/repo:t').familiar, 'user/repo:t');
  assert.is(normalizeName('docker.io/library/example:v1').familiar, 'example:v1');
  assert.is(normalizeName('index.docker.io/library/example').full, 'docker.io/library/example:latest');
});

test('registries with a dot, a port or localhost are kept as they are', () => {
  const n = normalizeName('127.0.0.1:5000/x:t');
  assert.is(n.full, '127.0.0.1:5000/x:t');
  assert.is(n.familiar, '127.0.0.1:5000/x:t');
  assert.is(n.familiarRepo, '127.0.0.1:5000/x');
  assert.is(n.refName, 't');
  assert.is(normalizeName('localhost/app').full, 'localhost/app:latest');
  assert.is(normalizeName('ghcr.io/org/app:1.2').full, 'ghcr.io/org/app:1.2');
  assert.is(normalizeName('localhost:5000/app').familiarRepo, 'localhost:5000/app');
});

test('digest-only names keep the digest; ref.name is then the full name', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  const n = normalizeName(`example@${d}`);
  assert.is(n.full, `docker.io/library/example@${d}`);
  assert.is(n.tag, '');
  assert.is(n.refName, n.full);
  assert.is(normalizeName(`example:v2@${d}`).refName, 'v2');
});

test('bad names are UsageErrors naming the problem', () => {
  for (const [bad, why] of [
    ['Example', /lowercase/],
    ['a/B:t', /lowercase/],
    ['x:bad tag', /tag/],
    ['x@sha256:zz', /digest/],
    ['', /empty/],
    ['a'.repeat(64).replace(/a/g, 'f'), /hexadecimal/],
    ['-x', /component/],
  ] as const) {
    try {
      normalizeName(bad);
      assert.unreachable(`accepted ${bad}`);
    } catch (err) {
      assert.instance(err, UsageError, bad);
      assert.match((err as Error).message, why);
    }
  }
});

test('comma-separated names, trimmed and deduplicated', () => {
  assert.equal(normalizeNames(undefined), []);
  assert.equal(normalizeNames(''), []);
  assert.equal(
    normalizeNames('example, example:latest,ghcr.io/o/x:1').map((n) => n.full),
    ['docker.io/library/example:latest', 'ghcr.io/o/x:1'],
  );
});

test.run();
