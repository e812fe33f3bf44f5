import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { jsonBlob } from './blob.ts';

test('descriptor names the exact bytes', () => {
  const b = jsonBlob('application/json', '{"a":"é"}');
  assert.is(b.data.toString('utf8'), '{"a":"é"}');
  assert.is(b.desc.size, 10); // é is two bytes
  assert.is(b.desc.digest, `sha256:${createHash('sha256').update(b.data).digest('hex')}`);
  assert.is(b.desc.mediaType, 'application/json');
});

test.run();
