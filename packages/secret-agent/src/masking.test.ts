import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { masksFor, sessionMasks } from './masking.ts';
import { LocalSession } from './session.ts';

test('value, value without its newline, long lines of multi-line values; longest first', () => {
  assert.equal(masksFor([Buffer.from('s3cret\n')]), ['s3cret\n', 's3cret']);
  assert.equal(masksFor([Buffer.from('line-one-long\nshort\nline-two-long\n')]),
    ['line-one-long\nshort\nline-two-long\n', 'line-one-long\nshort\nline-two-long', 'line-one-long', 'line-two-long']);
  assert.equal(masksFor([Buffer.from('')]), []);
});

test('masks of every secret in a session', async () => {
  const s = await LocalSession.open({ secrets: ['id=a,env=A', 'id=b,env=B'], env: { A: 'alpha-value', B: 'b' } });
  assert.equal(await sessionMasks(s), ['alpha-value', 'b']);
});

test.run();
