import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDockerignore } from './dockerignore-file.ts';

test('comments at column 0, trimming, cleaning, ! kept, leading / dropped', () => {
  const text = '# comment\n  node_modules  \n\n!keep.txt\n/abs/path/\n./rel//x\n #not a comment\n';
  assert.equal(parseDockerignore(text), ['node_modules', '!keep.txt', 'abs/path', 'rel/x', '#not a comment']);
});

test.run();
