import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { knowRecordHash, recordHash } from './record-hash.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

test('a record hash is the first 16 hex digits of its sha256, the same every time', () => {
  for (const r of ['F /a 644 0:0 1 ab\0', 'D /src 755 0:0\0', 'L /l 777 0:0 ../x\0', '']) {
    assert.is(recordHash(r), sha(r));
    assert.is(recordHash(r), sha(r));
  }
});

test('a hash kept with the records is taken for its record; anything that is not one is ignored', () => {
  knowRecordHash('F /kept 644 0:0 1 cd\0', '0123456789abcdef');
  assert.is(recordHash('F /kept 644 0:0 1 cd\0'), '0123456789abcdef');
  for (const bad of ['', 'xyz', '0123456789ABCDEF', '0123456789abcdef0']) {
    const r = `F /bad-${bad} 644 0:0 1 ef\0`;
    knowRecordHash(r, bad);
    assert.is(recordHash(r), sha(r));
  }
});

test.run();
