import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lookupNamedContext, parseNamedContexts, shortName } from './named-context.ts';

test('--build-context values', () => {
  const m = parseNamedContexts(['base=docker-image://busybox:1', 'docker.io/library/alpine:latest=./dir', 'l=oci-layout://lay:v1'], '/cwd');
  assert.equal(m.get('base'), { kind: 'image', ref: 'busybox:1' });
  assert.equal(m.get('alpine'), { kind: 'local', dir: '/cwd/dir' });
  assert.equal(m.get('l'), { kind: 'image', ref: 'oci-layout:///cwd/lay:v1' });
  assert.throws(() => parseNamedContexts(['novalue'], '/'), /NAME=DIR/);
});

test('image names compare in short form; scratch and context are reserved', () => {
  assert.is(shortName('docker.io/library/alpine:latest'), 'alpine');
  const m = parseNamedContexts(['alpine=./a', 'scratch=./s'], '/');
  assert.is(lookupNamedContext(m, 'alpine:latest')?.name, 'alpine');
  assert.is(lookupNamedContext(m, 'scratch'), undefined);
});

test.run();
