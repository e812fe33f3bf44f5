import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WireFormatError } from './errors.ts';
import { shapeOf, type Shape } from './shape.ts';

const D = `sha256:${'c'.repeat(64)}`;

// [name, shape, value, expected]
const FILLS: [string, Shape, unknown, unknown][] = [
  ['str missing', { str: 'dflt' }, undefined, 'dflt'],
  ['str null', { str: 'dflt' }, null, 'dflt'],
  ['str kept', { str: 'dflt' }, 'x', 'x'],
  ['str empty kept', { str: 'dflt' }, '', ''],
  ['int missing', { int: -1 }, undefined, -1],
  ['int zero kept', { int: -1 }, 0, 0],
  ['int negative kept', { int: 5 }, -7, -7],
  ['int max safe', { int: 0 }, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ['bool missing', { bool: true }, undefined, true],
  ['bool false kept', { bool: true }, false, false],
  ['digest', { digest: true }, D, D],
  ['oneOf missing is the first', { oneOf: ['a', 'b'] }, undefined, 'a'],
  ['oneOf kept', { oneOf: ['a', 'b'] }, 'b', 'b'],
  ['list missing', { list: { int: 0 } }, undefined, []],
  ['list of defaults', { list: { int: 7 } }, [null, 1], [7, 1]],
  ['list order kept', { list: { str: '' } }, ['b', 'a'], ['b', 'a']],
  ['map missing', { map: { str: '' } }, undefined, {}],
  ['map keys sorted', { map: { str: '' } }, { b: 'x', a: 'y' }, { a: 'y', b: 'x' }],
  ['map null value gets default', { map: { str: 'd' } }, { a: null }, { a: 'd' }],
  ['obj missing gets all defaults', { obj: { a: { int: 1 }, b: { str: 's' } } }, undefined, { a: 1, b: 's' }],
  ['obj null gets all defaults', { obj: { a: { int: 1 } } }, null, { a: 1 }],
  ['obj partial', { obj: { a: { int: 1 }, b: { str: 's' } } }, { b: 't' }, { a: 1, b: 't' }],
  ['nullable missing', { nullable: { a: { int: 1 } } }, undefined, null],
  ['nullable null', { nullable: { a: { int: 1 } } }, null, null],
  ['nullable empty object filled', { nullable: { a: { int: 1 } } }, {}, { a: 1 }],
  ['optional missing stays absent', { optional: { a: { int: 1 } } }, undefined, undefined],
  ['optional null stays absent', { optional: { a: { int: 1 } } }, null, undefined],
  ['optional present filled', { optional: { a: { int: 1 } } }, {}, { a: 1 }],
  [
    'obj drops absent optional fields',
    { obj: { x: { optional: { a: { int: 1 } } }, y: { int: 2 } } },
    {},
    { y: 2 },
  ],
  [
    'deep nesting',
    { obj: { l: { list: { obj: { m: { map: { nullable: { q: { bool: false } } } } } } } } },
    { l: [{ m: { k: {} , j: null } }] },
    { l: [{ m: { j: null, k: { q: false } } }] },
  ],
];

for (const [name, shape, value, want] of FILLS) {
  test(`shapeOf fills: ${name}`, () => {
    assert.equal(shapeOf(shape, value, 'v'), want);
  });
}

test('obj output keys are sorted, whatever the shape or input order', () => {
  const shape: Shape = { obj: { b: { int: 0 }, a: { int: 0 } } };
  assert.equal(Object.keys(shapeOf(shape, { b: 2, a: 1 }, 'v') as object), ['a', 'b']);
});

// [name, shape, value, exact message]
const REJECTS: [string, Shape, unknown, string][] = [
  ['str given number', { str: '' }, 1, 'p: expected a string, got 1'],
  ['str given object', { str: '' }, {}, 'p: expected a string, got {}'],
  ['int given float', { int: 0 }, 1.25, 'p: expected an integer, got 1.25'],
  ['int given NaN', { int: 0 }, NaN, 'p: expected an integer, got null'],
  ['int given string', { int: 0 }, '1', 'p: expected an integer, got "1"'],
  ['int too big', { int: 0 }, 2 ** 60, `p: expected an integer, got ${2 ** 60}`],
  ['bool given string', { bool: false }, 'false', 'p: expected true or false, got "false"'],
  ['bool given 0', { bool: false }, 0, 'p: expected true or false, got 0'],
  ['digest missing', { digest: true }, undefined, 'p: expected a sha256:<64 hex> digest, got undefined'],
  ['digest null', { digest: true }, null, 'p: expected a sha256:<64 hex> digest, got null'],
  ['digest bad', { digest: true }, 'sha256:x', 'p: expected a sha256:<64 hex> digest, got "sha256:x"'],
  ['oneOf other', { oneOf: ['a', 'b'] }, 'c', 'p: expected one of a|b, got "c"'],
  ['oneOf case', { oneOf: ['a', 'b'] }, 'A', 'p: expected one of a|b, got "A"'],
  ['list given object', { list: { int: 0 } }, { 0: 1 }, 'p: expected an array, got {"0":1}'],
  ['list given string', { list: { str: '' } }, 'ab', 'p: expected an array, got "ab"'],
  ['list element', { list: { int: 0 } }, [1, 2, 'x'], 'p[2]: expected an integer, got "x"'],
  ['map given array', { map: { str: '' } }, ['a'], 'p: expected an object, got ["a"]'],
  ['map given string', { map: { str: '' } }, 'a=b', 'p: expected an object, got "a=b"'],
  ['map value', { map: { str: '' } }, { k: 1 }, 'p.k: expected a string, got 1'],
  ['obj given array', { obj: {} }, [], 'p: expected an object, got []'],
  ['obj given number', { obj: {} }, 3, 'p: expected an object, got 3'],
  ['obj unknown field', { obj: { a: { int: 0 } } }, { a: 1, b: 2 }, 'p: unknown field "b"'],
  ['nullable given array', { nullable: {} }, [], 'p: expected an object, got []'],
  ['nullable unknown field', { nullable: { a: { int: 0 } } }, { z: 1 }, 'p: unknown field "z"'],
  ['optional given bool', { optional: {} }, true, 'p: expected an object, got true'],
  ['nested path', { obj: { a: { list: { obj: { b: { map: { int: 0 } } } } } } }, { a: [{}, { b: { k: 'v' } }] }, 'p.a[1].b.k: expected an integer, got "v"'],
  ['long values cut to 40 chars', { str: '' }, ['x'.repeat(100)], `p: expected a string, got ${JSON.stringify(['x'.repeat(100)]).slice(0, 40)}`],
];

for (const [name, shape, value, message] of REJECTS) {
  test(`shapeOf rejects: ${name}`, () => {
    try {
      shapeOf(shape, value, 'p');
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, WireFormatError);
      assert.is((err as Error).message, message);
    }
  });
}

test('the input is not mutated', () => {
  const shape: Shape = { obj: { a: { int: 1 }, m: { map: { str: 'd' } } } };
  const input = { m: { z: null, a: 'x' } };
  const before = JSON.stringify(input);
  shapeOf(shape, input, 'v');
  assert.is(JSON.stringify(input), before);
});

test.run();
