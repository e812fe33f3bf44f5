import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { goJson } from './json.ts';

test('escapes <, >, & and line separators like Go', () => {
  assert.is(goJson({ cmd: 'a && b <c> \u2028\u2029' }), '{"cmd":"a \\u0026\\u0026 b \\u003cc\\u003e \\u2028\\u2029"}');
  assert.equal(JSON.parse(goJson({ cmd: 'a && b <c>' })), { cmd: 'a && b <c>' });
});

test('compact by default, MarshalIndent layout with an indent', () => {
  assert.is(goJson({ a: [1, 2], b: {} }), '{"a":[1,2],"b":{}}');
  assert.is(goJson({ a: [1], b: [] }, '  '), '{\n  "a": [\n    1\n  ],\n  "b": []\n}');
});

test('drops undefined fields', () => {
  assert.is(goJson({ a: undefined, b: 1 }), '{"b":1}');
});

test.run();
