import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogMasker } from './log-masker.ts';

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

test.run();
