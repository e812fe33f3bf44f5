import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerfileSyntaxError } from './errors.ts';
import { parseDockerfile } from './parser.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

test('continuations, comments and blank lines inside them, warnings', () => {
  const r = parseDockerfile('FROM a\nRUN echo \\\n\n  # comment\n   \n  hi\n');
  assert.is(r.root.children[1].original, 'RUN echo   hi');
  assert.is(r.root.children[1].startLine, 2);
  assert.is(r.root.children[1].endLine, 6);
  assert.equal(r.warnings, [{ message: 'Empty continuation line found in: RUN echo   hi', line: 6 }]);
  assert.is(r.root.startLine, 1);
  assert.is(r.root.endLine, 6);
});

test('directives, BOM and CRLF', () => {
  const r = parseDockerfile(bytes('\ufeff# syntax=docker/dockerfile:1\r\n# escape=`\r\n# check=skip=all\r\nFROM a\r\nRUN dir c:\\ `\r\n  /w\r\n'));
  assert.equal(r.directives, { escape: '`', syntax: 'docker/dockerfile:1', check: 'skip=all' });
  assert.is(r.root.children[1].next[0].value, 'dir c:\\   /w');
});

test('a directive after another line is a plain comment', () => {
  const r = parseDockerfile('# hello\n# escape=`\nFROM a\n');
  assert.is(r.directives.escape, '\\');
});

test('heredocs: bodies, fd, chomp, quoting, ONBUILD, line numbers', () => {
  const src = 'FROM a\nRUN 3<<-"EOF" cat <<E\\OT\n\tbody $x\n\tEOF\nx\nEOT\nONBUILD COPY <<EOF /dst\nfile\nEOF\n';
  const r = parseDockerfile(src);
  const run = r.root.children[1];
  assert.equal(run.heredocs, [
    { name: 'EOF', content: '\tbody $x\n', expand: false, chomp: true, fileDescriptor: 3 },
    { name: 'EOT', content: 'x\n', expand: true, chomp: false, fileDescriptor: 0 },
  ]);
  assert.is(run.endLine, 6);
  const onbuild = r.root.children[2];
  assert.equal(onbuild.heredocs.map((h) => h.content), ['file\n']);
  assert.equal([onbuild.startLine, onbuild.endLine], [7, 9]);
});

test('exec-form RUN has no heredocs', () => {
  const r = parseDockerfile('RUN ["cat", "<<EOF"]\nEOF\n');
  assert.is(r.root.children.length, 2);
});

test('negative cases throw DockerfileSyntaxError', () => {
  const cases: [string, RegExp][] = [
    ['', /file with no instructions/],
    ['# only\n\n', /file with no instructions/],
    ['FROM a\nRUN <<EOF\nnever ends\n', /unterminated heredoc/],
    ['CMD [ "echo", [ "nested json" ] ]\n', /strings only/],
    ['# escape=x\nFROM a\n', /invalid escape token/],
    ['# escape=`\n# escape=\\\nFROM a\n', /only one escape parser directive/],
    ['FROM a\nRUN ' + 'x'.repeat(70000) + '\n', /greater than max allowed size/],
  ];
  for (const [src, re] of cases) {
    assert.throws(() => parseDockerfile(src), (e: unknown) => e instanceof DockerfileSyntaxError && re.test(e.message), src.slice(0, 30));
  }
});

test('string input and byte input give the same tree', () => {
  const src = 'FROM a\nLABEL k="v w" \\\n  x=y\n';
  assert.equal(parseDockerfile(src), parseDockerfile(bytes(src)));
});

test.run();
