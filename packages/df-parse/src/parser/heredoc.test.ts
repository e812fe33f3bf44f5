import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chompHeredocContent, heredocsFromLine, parseHeredoc } from './heredoc.ts';

test('marker shapes', () => {
  assert.equal(parseHeredoc('<<EOF'), { name: 'EOF', content: '', expand: true, chomp: false, fileDescriptor: 0 });
  assert.equal(parseHeredoc('3<<-"EOF"'), { name: 'EOF', content: '', expand: false, chomp: true, fileDescriptor: 3 });
  assert.is(parseHeredoc("<<E'O'F")?.expand, false);
  assert.is(parseHeredoc('<<E\\OT')?.name, 'EOT');
  assert.is(parseHeredoc('<<E\\OT')?.expand, true);
  assert.is(parseHeredoc('<< EOF')?.name, 'EOF');
  assert.is(parseHeredoc('<<'), null);
  assert.is(parseHeredoc('a<<EOF'), null);
});

test('all markers of a line, in order', () => {
  const docs = heredocsFromLine('RUN 3<<-"EOF" cat <<E\\OT');
  assert.equal(docs.map((d) => [d.name, d.fileDescriptor, d.expand, d.chomp]), [['EOF', 3, false, true], ['EOT', 0, true, false]]);
  assert.equal(heredocsFromLine('RUN echo "unterminated <<EOF'), []);
});

test('chomp removes leading tabs on every line', () => {
  assert.is(chompHeredocContent('\t\ta\n\tb\n c\n'), 'a\nb\n c\n');
});

test.run();
