import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogMasker } from './log-masker.ts';
import { masksFor } from './masking.ts';

const b = (s: string) => Buffer.from(s);

test('a secret split across chunks is still masked', () => {
  const m = new LogMasker(['SECRET-123']);
  let out = m.push('v:1', b('x'.repeat(10) + 'SEC'));
  assert.is(out, 'x'.repeat(10), 'the possible start of a secret is held back');
  out += m.push('v:1', b('RET-123 done\n'));
  assert.is(out + m.flush('v:1'), `${'x'.repeat(10)}**** done\n`);
});

test('a held-back tail that turns out not to be a secret is shown', () => {
  const m = new LogMasker(['SECRET-123']);
  assert.is(m.push('k', b('ends with SEC')), 'ends with ');
  assert.is(m.push('k', b('OND\n')), 'SECOND\n');
  assert.is(m.push('k', b('SECRE')), '');
  assert.is(m.flush('k'), 'SECRE');
});

test('streams are independent; every split point of every mask', () => {
  const secrets = ['alpha-secret', 'beta-secret-longer'];
  const text = 'before alpha-secret middle beta-secret-longer after alpha-secretbeta-secret-longer\n';
  for (let cut = 0; cut <= text.length; cut++) {
    const m = new LogMasker(secrets);
    const out = m.push('a', b(text.slice(0, cut))) + m.push('a', b(text.slice(cut))) + m.flush('a');
    assert.is(out, 'before **** middle **** after ********\n', `cut at ${cut}`);
  }
  const m = new LogMasker(secrets);
  assert.is(m.push('one', b('alp')), '');
  assert.is(m.push('two', b('ha-secret')), 'ha-secret');
  assert.is(m.push('one', b('ha-secret')), '****');
});

test('multi-byte characters split across chunks are decoded whole', () => {
  const m = new LogMasker(['pässwörd']);
  const bytes = b('x pässwörd ü\n');
  let out = '';
  for (const byte of bytes) out += m.push('k', Buffer.from([byte]));
  assert.is(out + m.flush('k'), 'x **** ü\n');
});

test('thousands of masks (every line of a large multi-line secret) in one pass', () => {
  const lines = Array.from({ length: 5000 }, (_, i) => `line-${i.toString(36).padStart(6, '0')}-of-a-big-secret`);
  const m = new LogMasker(masksFor([Buffer.from(`${lines.join('\n')}\n`)]));
  const text = `start ${lines[1234]} middle ${lines[4321].slice(0, 10)}`;
  const t0 = Date.now();
  const out = m.push('k', b(text)) + m.push('k', b(`${lines[4321].slice(10)} end\n`)) + m.flush('k');
  assert.is(out, 'start **** middle **** end\n');
  assert.ok(Date.now() - t0 < 1000);
});

test.run();
