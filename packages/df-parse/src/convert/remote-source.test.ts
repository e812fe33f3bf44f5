import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { httpFilename, isHttpSource, parseGitRef } from './remote-source.ts';

test('git references', () => {
  assert.equal(parseGitRef('git@github.com:moby/buildkit.git#v0.12.0:docs'), {
    remote: 'git@github.com:moby/buildkit.git', ref: 'v0.12.0', subdir: 'docs', identifier: 'git://github.com/moby/buildkit.git#v0.12.0:docs',
  });
  assert.is(parseGitRef('https://example.com/repo.git#main')?.ref, 'main');
  assert.is(parseGitRef('git://127.0.0.1:9418/repo.git')?.identifier, 'git://127.0.0.1:9418/repo.git');
  assert.is(parseGitRef('https://example.com/file.tar.gz'), null);
  assert.is(parseGitRef('local/dir'), null);
});

test('http sources and their file names', () => {
  assert.ok(isHttpSource('https://x/y'));
  assert.not.ok(isHttpSource('ftp://x/y'));
  assert.is(httpFilename('https://example.com/files/tool.tar.gz?x=1'), 'tool.tar.gz');
  assert.is(httpFilename('https://example.com/'), '__unnamed__');
});

test.run();
