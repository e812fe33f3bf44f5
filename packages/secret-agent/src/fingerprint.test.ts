import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { contentFingerprint, FINGERPRINT_KEY_FILE, fingerprintKey } from './fingerprint.ts';
import { tempDir } from './testing.ts';

test('the key is made once, 0600, and reused', async () => {
  const dir = await tempDir();
  const [k1, k2] = await Promise.all([fingerprintKey(dir), fingerprintKey(dir)]);
  assert.is(k1.length, 32);
  assert.ok(k1.equals(k2), 'concurrent callers agree on one key');
  assert.ok((await fingerprintKey(dir)).equals(k1));
  assert.is((await fs.stat(path.join(dir, FINGERPRINT_KEY_FILE))).mode & 0o777, 0o600);
  assert.equal(await fs.readdir(dir), [FINGERPRINT_KEY_FILE]);
});

test('the fingerprint follows key, id and value, and does not contain the value', () => {
  const k = Buffer.alloc(32, 7);
  const a = contentFingerprint(k, 'tok', Buffer.from('value-1'));
  assert.match(a, /^hmac-sha256:[0-9a-f]{64}$/);
  assert.is(contentFingerprint(k, 'tok', Buffer.from('value-1')), a);
  assert.is.not(contentFingerprint(k, 'tok', Buffer.from('value-2')), a);
  assert.is.not(contentFingerprint(k, 'other', Buffer.from('value-1')), a);
  assert.is.not(contentFingerprint(Buffer.alloc(32, 8), 'tok', Buffer.from('value-1')), a);
});

test.run();
