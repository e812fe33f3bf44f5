import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { unsupportedSyntax } from './syntax.ts';

test('BuildKit Dockerfile frontends are served by the built-in one', () => {
  for (const s of [undefined, 'docker/dockerfile:1', 'docker/dockerfile:1.7', 'docker/dockerfile:1.7-labs', 'docker.io/docker/dockerfile:1.4.3',
    'docker/dockerfile', 'docker/dockerfile:experimental', 'docker/dockerfile-upstream:master', `docker/dockerfile:1@sha256:${'a'.repeat(64)}`]) {
    assert.is(unsupportedSyntax(s), null, String(s));
  }
});

test('other frontend images are refused with a reason', () => {
  assert.match(unsupportedSyntax('example.com/frontend:1') ?? '', /does not pull frontend images/);
  assert.match(unsupportedSyntax('docker/dockerfile:2') ?? '', /1\.x/);
});

test.run();
