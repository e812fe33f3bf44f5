import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { canonicalDigest, canonicalJson, isDigest, sha256Hex } from './canonical.ts';
import { WireFormatError } from './errors.ts';

const hex = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');

// [input, expected canonical text]
const ENCODINGS: [unknown, string][] = [
  [null, 'null'],
  [true, 'true'],
  [false, 'false'],
  [0, '0'],
  [-0, '0'],
  [1.5, '1.5'],
  [-42, '-42'],
  [1e21, '1e+21'],
  ['', '""'],
  ['a"b\\c\n', '"a\\"b\\\\c\\n"'],
  ['é😀', '"é😀"'],
  [[], '[]'],
  [{}, '{}'],
  [[3, 1, 2], '[3,1,2]'],
  [['b', 'a'], '["b","a"]'],
  [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
  [{ z: { y: 1, x: [{ d: 1, c: 2 }] }, a: null }, '{"a":null,"z":{"x":[{"c":2,"d":1}],"y":1}}'],
  [{ a: undefined, b: 1 }, '{"b":1}'],
  [{ a: undefined }, '{}'],
  [{ nested: { gone: undefined, kept: 0 } }, '{"nested":{"kept":0}}'],
  [{ a: '', b: 0, c: false, d: [] }, '{"a":"","b":0,"c":false,"d":[]}'],
  // UTF-16 code unit order: upper case before lower case, digits first
  [{ b: 1, B: 2, '1': 3, _: 4 }, '{"1":3,"B":2,"_":4,"b":1}'],
  // é (U+00E9) sorts after z; an astral char sorts by its high surrogate (D83D), so before U+FB01 (ﬁ),
  // the reverse of code point order
  [{ 'é': 1, z: 2, a: 3 }, '{"a":3,"z":2,"é":1}'],
  [{ 'ﬁ': 1, '😀': 2, 'é': 3 }, '{"é":3,"😀":2,"ﬁ":1}'],
  [{ 'ab': 1, 'a': 2, 'abc': 3, 'aa': 4 }, '{"a":2,"aa":4,"ab":1,"abc":3}'],
  [{ 'key with space': 1, 'key"quote': 2 }, '{"key with space":1,"key\\"quote":2}'],
];

for (const [i, [input, want]] of ENCODINGS.entries()) {
  test(`canonicalJson #${i}: ${want}`, () => {
    assert.is(canonicalJson(input), want);
  });
}

test('canonicalJson output parses back to the same value (minus undefined)', () => {
  for (const [input] of ENCODINGS) {
    const text = canonicalJson(input);
    assert.equal(JSON.parse(text), JSON.parse(JSON.stringify(input) ?? 'null'));
  }
});

test('arrays keep their order, nested objects inside are sorted', () => {
  assert.is(canonicalJson([{ b: 1, a: 1 }, { d: 1, c: 1 }]), '[{"a":1,"b":1},{"c":1,"d":1}]');
  assert.is.not(canonicalJson([1, 2]), canonicalJson([2, 1]));
});

test('an undefined array element is rejected, not dropped', () => {
  // an array hole / undefined element is not plain JSON: it is rejected, not silently dropped
  assert.throws(() => canonicalJson([1, undefined]), (e: unknown) => e instanceof WireFormatError && /undefined/.test((e as Error).message));
});

const REJECTED: [string, unknown, RegExp][] = [
  ['NaN', NaN, /non-finite number NaN/],
  ['Infinity', Infinity, /non-finite number Infinity/],
  ['-Infinity', -Infinity, /non-finite number -Infinity/],
  ['nested NaN', { a: { b: [1, NaN] } }, /non-finite/],
  ['Infinity in array', [Infinity], /non-finite/],
  ['function', () => 1, /cannot encode a function/],
  ['bigint', 10n, /cannot encode a bigint/],
  ['symbol', Symbol('x'), /cannot encode a symbol/],
  ['top-level undefined', undefined, /cannot encode a undefined/],
  ['function in object', { f: () => 1 }, /function/],
];
for (const [name, value, re] of REJECTED) {
  test(`canonicalJson rejects ${name}`, () => {
    try {
      canonicalJson(value);
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, WireFormatError);
      assert.match((err as Error).message, re);
    }
  });
}

// The digest of a fixed op, as observed; must never change (it names cached results).
const FIXED_OP = {
  inputs: [],
  platform: { os: 'linux', architecture: 'amd64', variant: '' },
  source: { identifier: 'docker-image://docker.io/library/busybox:latest', attrs: {} },
};
const FIXED_DIGEST = 'sha256:b4051d16ec8900dbdcdef503eda1fea361e892a5f114fb2a76fc6812ddd6d869';

test('canonicalDigest of a fixed op is a fixed string', () => {
  const text = canonicalJson(FIXED_OP);
  assert.is(
    text,
    '{"inputs":[],"platform":{"architecture":"amd64","os":"linux","variant":""},"source":{"attrs":{},"identifier":"docker-image://docker.io/library/busybox:latest"}}',
  );
  assert.is(canonicalDigest(FIXED_OP), `sha256:${hex(text)}`);
  assert.is(canonicalDigest(FIXED_OP), FIXED_DIGEST);
});

test('canonicalDigest ignores the key order of the input object', () => {
  const reordered = {
    source: { attrs: {}, identifier: 'docker-image://docker.io/library/busybox:latest' },
    platform: { variant: '', architecture: 'amd64', os: 'linux' },
    inputs: [],
  };
  assert.is(canonicalDigest(reordered), FIXED_DIGEST);
  const viaJson = JSON.parse(JSON.stringify(reordered));
  assert.is(canonicalDigest(viaJson), FIXED_DIGEST);
});

test('canonicalDigest changes with any value', () => {
  const variants = [
    { ...FIXED_OP, platform: { ...FIXED_OP.platform, variant: 'v8' } },
    { ...FIXED_OP, source: { ...FIXED_OP.source, identifier: 'docker-image://docker.io/library/alpine:latest' } },
    { ...FIXED_OP, source: { ...FIXED_OP.source, attrs: { a: '' } } },
    { ...FIXED_OP, inputs: [1] },
    { ...FIXED_OP, platform: null },
  ];
  const seen = new Set([FIXED_DIGEST]);
  for (const v of variants) {
    const d = canonicalDigest(v);
    assert.ok(isDigest(d));
    assert.not.ok(seen.has(d), `digest of ${JSON.stringify(v)} collides`);
    seen.add(d);
  }
});

test('canonicalDigest: undefined field same as absent, null differs from absent', () => {
  assert.is(canonicalDigest({ a: 1, b: undefined }), canonicalDigest({ a: 1 }));
  assert.is.not(canonicalDigest({ a: 1, b: null }), canonicalDigest({ a: 1 }));
});

test('sha256Hex over strings (utf-8) and bytes', () => {
  const cases: [string | Uint8Array, string][] = [
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [new Uint8Array([0x61, 0x62, 0x63]), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['é', hex(Buffer.from([0xc3, 0xa9]))],
  ];
  for (const [input, want] of cases) assert.is(sha256Hex(input), want);
});

test('isDigest', () => {
  const good = [`sha256:${'0'.repeat(64)}`, `sha256:${'a'.repeat(64)}`, FIXED_DIGEST];
  const bad: unknown[] = [
    '', 'sha256:', `sha256:${'0'.repeat(63)}`, `sha256:${'0'.repeat(65)}`, `sha256:${'A'.repeat(64)}`,
    `sha512:${'0'.repeat(64)}`, `${'0'.repeat(64)}`, ` sha256:${'0'.repeat(64)}`, `sha256:${'0'.repeat(64)}\n`,
    `sha256:${'g'.repeat(64)}`, null, undefined, 1, {}, ['sha256:'],
  ];
  for (const g of good) assert.ok(isDigest(g), g);
  for (const b of bad) assert.not.ok(isDigest(b), JSON.stringify(b));
});

test.run();
