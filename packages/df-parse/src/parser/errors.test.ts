import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerfileSyntaxError } from './errors.ts';
import { parseDockerfile } from './parser.ts';

test('message carries file, line and column', () => {
  const e = new DockerfileSyntaxError('unknown flag: --foo', { line: 12, column: 5, sourceLine: 'RUN --foo x' });
  assert.is(e.message, 'Dockerfile:12:5: unknown flag: --foo');
  assert.is(e.reason, 'unknown flag: --foo');
  assert.ok(e instanceof Error);
});

test('pretty() shows the source line and a caret under the column', () => {
  const e = new DockerfileSyntaxError('unknown flag: --foo', { line: 12, column: 5, sourceLine: 'RUN --foo x' });
  assert.is(e.pretty(), [
    'Dockerfile:12:5: unknown flag: --foo',
    ' 12 | RUN --foo x',
    '    |     ^',
  ].join('\n'));
});

test('pretty() keeps tabs so the caret lines up', () => {
  const e = new DockerfileSyntaxError('x', { file: 'f', line: 1, column: 3, sourceLine: '\tab' });
  assert.is(e.pretty().split('\n')[2], '   | \t ^');
});

test('parser errors point at the instruction', () => {
  try {
    parseDockerfile('FROM busybox\n\nENV PATH\n', { file: 'my.Dockerfile' });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, DockerfileSyntaxError);
    const e = err as DockerfileSyntaxError;
    assert.is(e.file, 'my.Dockerfile');
    assert.is(e.line, 3);
    assert.is(e.column, 5);
    assert.is(e.sourceLine, 'ENV PATH');
    assert.ok(e.pretty().endsWith(' 3 | ENV PATH\n   |     ^'));
  }
});

test.run();
