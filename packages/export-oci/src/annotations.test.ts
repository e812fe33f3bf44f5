import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '@pipekit/wire';
import { annotationFlagToOption, annotationsFor, isAnnotationKey, parseAnnotationOption } from './annotations.ts';

test('option keys: target, platforms, key', () => {
  assert.equal(parseAnnotationOption('annotation.org.opencontainers.image.title', 'T'), { target: 'manifest', platforms: [], key: 'org.opencontainers.image.title', value: 'T' });
  assert.equal(parseAnnotationOption('annotation-index-descriptor.k', 'v').target, 'index-descriptor');
  assert.equal(parseAnnotationOption('annotation-manifest[linux/amd64,linux/arm64/v8].k', 'v').platforms, ['linux/amd64', 'linux/arm64']);
  assert.throws(() => parseAnnotationOption('annotation-bogus.k', 'v'), (e: Error) => e instanceof UsageError);
  assert.ok(isAnnotationKey('annotation.x') && isAnnotationKey('annotation[linux/amd64].x') && !isAnnotationKey('name'));
});

test('the --annotation flag form maps to the option form', () => {
  assert.equal(annotationFlagToOption('k=v=w'), ['annotation.k', 'v=w']);
  assert.equal(annotationFlagToOption('index:k=v'), ['annotation-index.k', 'v']);
  assert.equal(annotationFlagToOption('manifest[linux/amd64]:k=v'), ['annotation-manifest[linux/amd64].k', 'v']);
  assert.throws(() => annotationFlagToOption('novalue'), (e: Error) => e instanceof UsageError);
});

test('annotationsFor picks a target and the platform filter', () => {
  const all = [
    parseAnnotationOption('annotation.a', '1'),
    parseAnnotationOption('annotation[linux/arm64].b', '2'),
    parseAnnotationOption('annotation-index.c', '3'),
  ];
  assert.equal(annotationsFor(all, 'manifest', { os: 'linux', architecture: 'amd64', variant: '' }), { a: '1' });
  assert.equal(annotationsFor(all, 'manifest', { os: 'linux', architecture: 'arm64', variant: 'v8' }), { a: '1', b: '2' });
  assert.equal(annotationsFor(all, 'index'), { c: '3' });
});

test.run();
