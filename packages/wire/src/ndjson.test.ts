import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WireFormatError } from './errors.ts';
import { parseLine, readNdjson, toNdjsonLine, type LineRecord } from './ndjson.ts';

async function* chunks(parts: (string | Uint8Array)[]): AsyncGenerator<string | Uint8Array> {
  for (const p of parts) yield p;
}

async function readAll(parts: (string | Uint8Array)[]): Promise<LineRecord[]> {
  const out: LineRecord[] = [];
  for await (const r of readNdjson(chunks(parts))) out.push(r);
  return out;
}

async function readError(parts: (string | Uint8Array)[]): Promise<WireFormatError> {
  try {
    await readAll(parts);
  } catch (err) {
    assert.instance(err, WireFormatError);
    return err as WireFormatError;
  }
  throw new Error('expected a WireFormatError');
}

const enc = (s: string) => new TextEncoder().encode(s);

/** Every way to cut `text` in two, as strings and as bytes. */
function splits(text: string): (string | Uint8Array)[][] {
  const out: (string | Uint8Array)[][] = [];
  for (let i = 0; i <= text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  const bytes = enc(text);
  for (let i = 0; i <= bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  out.push([...bytes].map((b) => new Uint8Array([b]))); // one byte at a time
  return out;
}

// [name, chunks, expected [line, value] pairs]
const GOOD: [string, (string | Uint8Array)[], [number, unknown][]][] = [
  ['empty input', [], []],
  ['empty string', [''], []],
  ['one record', ['{"a":1}\n'], [[1, { a: 1 }]]],
  ['final line without newline', ['{"a":1}\n{"b":2}'], [[1, { a: 1 }], [2, { b: 2 }]]],
  ['only a line without newline', ['{"a":1}'], [[1, { a: 1 }]]],
  ['blank lines skipped but counted', ['\n{"a":1}\n\n   \n\t\n{"b":2}\n\n'], [[2, { a: 1 }], [6, { b: 2 }]]],
  ['CRLF', ['{"a":1}\r\n{"b":2}\r\n'], [[1, { a: 1 }], [2, { b: 2 }]]],
  ['CRLF with blank CRLF lines', ['\r\n{"a":1}\r\n\r\n{"b":2}'], [[2, { a: 1 }], [4, { b: 2 }]]],
  ['surrounding spaces', ['  {"a":1}  \n'], [[1, { a: 1 }]]],
  ['record split across chunks', ['{"a":', '1}\n{"b"', ':2}', '\n'], [[1, { a: 1 }], [2, { b: 2 }]]],
  ['newline in its own chunk', ['{"a":1}', '\n', '{"b":2}'], [[1, { a: 1 }], [2, { b: 2 }]]],
  ['several records in one chunk', ['{"a":1}\n{"a":2}\n{"a":3}\n'], [[1, { a: 1 }], [2, { a: 2 }], [3, { a: 3 }]]],
  ['bytes', [enc('{"a":"é"}\n')], [[1, { a: 'é' }]]],
  ['escaped newline in a string stays one record', ['{"a":"x\\ny"}\n'], [[1, { a: 'x\ny' }]]],
  ['nested values', ['{"a":[1,{"b":null}],"c":{"d":true}}\n'], [[1, { a: [1, { b: null }], c: { d: true } }]]],
  ['utf-8 BOM on bytes', [new Uint8Array([0xef, 0xbb, 0xbf, ...enc('{"a":1}\n')])], [[1, { a: 1 }]]],
];

for (const [name, parts, want] of GOOD) {
  test(`readNdjson: ${name}`, async () => {
    const got = await readAll(parts);
    assert.equal(got.map((r) => [r.line, r.value]), want);
  });
}

test('readNdjson: multi-byte UTF-8 split at every byte boundary', async () => {
  const text = '{"s":"é€😀 ü"}\n{"t":"日本"}';
  for (const parts of splits(text)) {
    const got = await readAll(parts);
    assert.equal(got.map((r) => [r.line, r.value]), [[1, { s: 'é€😀 ü' }], [2, { t: '日本' }]]);
  }
});

test('readNdjson: a record split at every position', async () => {
  const text = '{"v":1,"type":"op"}\r\n\n{"k":[1,2]}\n';
  for (const parts of splits(text)) {
    const got = await readAll(parts);
    assert.equal(got.map((r) => [r.line, r.value]), [[1, { v: 1, type: 'op' }], [3, { k: [1, 2] }]]);
  }
});

// [name, chunks, exact message, line]
const BAD: [string, (string | Uint8Array)[], string, number][] = [
  ['invalid JSON', ['{"a":1}\n{nope}\n'], 'stdin:2: not a JSON record: "{nope}"', 2],
  ['truncated record at the end', ['{"a":1}\n{"b":'], 'stdin:2: not a JSON record: "{\\"b\\":"', 2],
  ['invalid JSON after blank lines', ['\n\n\n{"a":}\n'], 'stdin:4: not a JSON record: "{\\"a\\":}"', 4],
  ['invalid JSON after CRLF lines', ['{"a":1}\r\n\r\nx\r\n'], 'stdin:3: not a JSON record: "x"', 3],
  ['array instead of object', ['[1,2]\n'], 'stdin:1: a record must be a JSON object', 1],
  ['number instead of object', ['{"a":1}\n42\n'], 'stdin:2: a record must be a JSON object', 2],
  ['string instead of object', ['"hello"\n'], 'stdin:1: a record must be a JSON object', 1],
  ['null instead of object', ['{}\n{}\nnull'], 'stdin:3: a record must be a JSON object', 3],
  ['true instead of object', ['true\n'], 'stdin:1: a record must be a JSON object', 1],
  ['two objects on one line', ['{"a":1} {"b":2}\n'], 'stdin:1: not a JSON record: "{\\"a\\":1} {\\"b\\":2}"', 1],
  ['long line cut at 60 characters', [`{"x":"${'y'.repeat(100)}"\n`], `stdin:1: not a JSON record: ${JSON.stringify(`{"x":"${'y'.repeat(54)}...`)}`, 1],
  ['invalid JSON split across chunks', ['{"a":1}\n{"b', '":tru', 'e,}\n'], 'stdin:2: not a JSON record: "{\\"b\\":true,}"', 2],
];

for (const [name, parts, message, line] of BAD) {
  test(`readNdjson rejects: ${name}`, async () => {
    const err = await readError(parts);
    assert.is(err.message, message);
    assert.is(err.line, line);
    assert.is(err.exitCode, 1);
  });
}

test('readNdjson yields the good records before the bad line', async () => {
  const seen: number[] = [];
  try {
    for await (const r of readNdjson(chunks(['{"a":1}\n{"a":2}\n[]\n{"a":4}\n']))) seen.push(r.value.a as number);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, WireFormatError);
    assert.is((err as WireFormatError).line, 3);
  }
  assert.equal(seen, [1, 2]);
});

test('parseLine', () => {
  assert.is(parseLine('', 1), undefined);
  assert.is(parseLine('   \t\r', 1), undefined);
  assert.equal(parseLine('{"a":1}\r', 9), { line: 9, value: { a: 1 } });
  const cases: [string, RegExp][] = [
    ['{', /^stdin:5: not a JSON record: "\{"$/],
    ['[]', /^stdin:5: a record must be a JSON object$/],
    ['1', /^stdin:5: a record must be a JSON object$/],
  ];
  for (const [text, re] of cases) {
    try {
      parseLine(text, 5);
      assert.unreachable();
    } catch (err) {
      assert.instance(err, WireFormatError);
      assert.match((err as Error).message, re);
      if (text === '{') assert.ok((err as Error).cause instanceof SyntaxError);
    }
  }
});

test('parseLine with line 0 gives no stdin prefix', () => {
  try {
    parseLine('[]', 0);
    assert.unreachable();
  } catch (err) {
    assert.is((err as Error).message, 'a record must be a JSON object');
  }
});

test('toNdjsonLine round-trips through readNdjson', async () => {
  const records = [{ a: 1 }, { s: 'line\nbreak', u: 'é😀' }, { n: null, l: [1, 'x'] }, {}];
  const text = records.map(toNdjsonLine).join('');
  assert.is(text.split('\n').length, records.length + 1);
  assert.ok(text.endsWith('\n'));
  for (const r of records) assert.not.ok(toNdjsonLine(r).slice(0, -1).includes('\n'));
  const got = await readAll([enc(text)]);
  assert.equal(got.map((r) => r.value), records);
  assert.equal(got.map((r) => r.line), [1, 2, 3, 4]);
});

test.run();
