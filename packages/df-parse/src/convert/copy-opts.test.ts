import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { destPath, parseChmod, srcPath } from './copy-opts.ts';

test('--chmod: octal up to 07777, symbolic clauses, anything else is an error', () => {
  assert.equal(parseChmod('755'), { mode: 0o755, modeStr: '' });
  assert.equal(parseChmod('4755'), { mode: 0o4755, modeStr: '' });
  assert.equal(parseChmod('u+x,g-w'), { mode: -1, modeStr: 'u+x,g-w' });
  assert.type(parseChmod('17777'), 'string');
  assert.type(parseChmod('999'), 'string');
  assert.type(parseChmod('u+q'), 'string');
});

test('dest is relative to WORKDIR and keeps its trailing slash', () => {
  assert.is(destPath('/app', '.'), '/app/');
  assert.is(destPath('/app', 'sub/'), '/app/sub/');
  assert.is(destPath('/app', 'file'), '/app/file');
  assert.is(destPath('/app', '/abs/../x'), '/x');
  assert.is(srcPath('app/'), '/app');
  assert.is(srcPath('.'), '/');
});

test.run();
