import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WireFormatError } from './errors.ts';
import { opDigest, type Op } from './ops.ts';
import { readGraph, readImages } from './read.ts';

async function* lines(records: unknown[]): AsyncGenerator<string> {
  for (const r of records) yield `${typeof r === 'string' ? r : JSON.stringify(r)}\n`;
}

const SRC_OP = { source: { identifier: 'docker-image://docker.io/library/busybox:latest' } };
const SRC_DIGEST = opDigest(SRC_OP as unknown as Op);
const EXEC_OP = { inputs: [{ digest: SRC_DIGEST }], exec: { meta: { args: ['sh', '-c', 'true'] }, mounts: [{ input: 0, dest: '/', output: 0 }] } };
const EXEC_DIGEST = opDigest(EXEC_OP as unknown as Op);

const CONFIG = { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
const PLATFORM = { os: 'linux', architecture: 'amd64', variant: '' };

const source = { v: 1, type: 'source', file: 'Dockerfile', data: 'FROM busybox\n' };
const srcOp = { v: 1, type: 'op', digest: SRC_DIGEST, op: SRC_OP, meta: { name: '[1/2] FROM busybox' } };
const execOp = { v: 1, type: 'op', digest: EXEC_DIGEST, op: EXEC_OP };
const result = (input: unknown = { digest: EXEC_DIGEST, index: 0 }) => ({ v: 1, type: 'result', target: '', platform: PLATFORM, input, config: CONFIG });

test('readGraph reads a valid graph', async () => {
  const g = await readGraph(lines([source, srcOp, execOp, result()]));
  assert.equal([...g.ops.keys()], [SRC_DIGEST, EXEC_DIGEST]);
  assert.is(g.sources.length, 1);
  assert.is(g.sources[0].file, 'Dockerfile');
  assert.is(g.results.length, 1);
  assert.equal(g.results[0].input, { digest: EXEC_DIGEST, index: 0 });
  const rec = g.ops.get(EXEC_DIGEST)!;
  assert.is(rec.digest, EXEC_DIGEST);
  // ops come back normalised, meta gets its defaults
  assert.equal(rec.op.inputs, [{ digest: SRC_DIGEST, index: 0 }]);
  assert.is(rec.op.exec!.meta.cwd, '/');
  assert.equal(rec.meta, { name: '', stage: '', command: '', locations: [], ignoreCache: false });
  assert.is(g.ops.get(SRC_DIGEST)!.meta.name, '[1/2] FROM busybox');
});

test('readGraph accepts a scratch result, several results, blank lines, CRLF and byte chunks', async () => {
  const g1 = await readGraph(lines([result(null)]));
  assert.equal(g1.results[0].input, null);
  assert.is(g1.ops.size, 0);
  const g2 = await readGraph(lines([srcOp, '', result({ digest: SRC_DIGEST, index: 0 }), result(null)]));
  assert.is(g2.results.length, 2);
  const text = [srcOp, result({ digest: SRC_DIGEST, index: 0 })].map((r) => `${JSON.stringify(r)}\r\n`).join('');
  const bytes = new TextEncoder().encode(text);
  async function* byteChunks() {
    for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
  }
  const g3 = await readGraph(byteChunks());
  assert.equal([...g3.ops.keys()], [SRC_DIGEST]);
});

test('readGraph accepts a sparse op whose digest is that of its normal form', async () => {
  // the digest names the normalised op, so an op written out in full and one with omitted zeros are the same op
  const full = { inputs: [], platform: null, source: { identifier: SRC_OP.source.identifier, attrs: {} } };
  const g = await readGraph(lines([{ ...srcOp, op: full }, result({ digest: SRC_DIGEST, index: 0 })]));
  assert.ok(g.ops.has(SRC_DIGEST));
});

// [name, records, message pattern]
const BAD: [string, unknown[], RegExp][] = [
  ['empty graph', [], /^the graph has no result record \(is this df-parse output\?\)$/],
  ['only blank lines', ['', '  '], /^the graph has no result record/],
  ['ops but no result', [srcOp], /^the graph has no result record/],
  ['version 2', [{ ...srcOp, v: 2 }], /^stdin:1: unsupported wire version 2 \(this graph reader reads v1\)$/],
  ['version as string', [source, { ...srcOp, v: '1' }], /^stdin:2: unsupported wire version "1"/],
  ['version missing', [{ type: 'op' }], /^stdin:1: unsupported wire version undefined/],
  ['type image', [{ v: 1, type: 'image' }], /^stdin:1: unexpected record type "image" \(graph reader reads source, op, result\)$/],
  ['type missing', [{ v: 1 }], /^stdin:1: unexpected record type undefined/],
  ['type not a string', [{ v: 1, type: ['op'] }], /^stdin:1: unexpected record type \["op"\]/],
  ['type case', [{ v: 1, type: 'Op' }], /^stdin:1: unexpected record type "Op"/],
  ['digest mismatch', [{ ...srcOp, digest: `sha256:${'0'.repeat(64)}` }], new RegExp(`^stdin:1: op digest "sha256:0{64}" does not match its content \\(${SRC_DIGEST}\\)$`)],
  ['digest missing', [{ ...srcOp, digest: undefined }], /^stdin:1: op digest undefined does not match its content/],
  ['digest of another op', [srcOp, { ...execOp, digest: SRC_DIGEST }], /^stdin:2: op digest .* does not match its content/],
  ['input not defined earlier', [execOp, srcOp, result()], new RegExp(`^stdin:1: op input ${SRC_DIGEST} is not defined on an earlier line$`)],
  ['input never defined', [source, execOp], /^stdin:2: op input sha256:[0-9a-f]{64} is not defined on an earlier line$/],
  ['invalid op body', [{ ...srcOp, op: { source: { identifier: 1 } } }], /^stdin:1: op\.source\.identifier: expected a string, got 1$/],
  ['op with two kinds', [{ ...srcOp, op: { source: {}, merge: {} } }], /^stdin:1: op: needs exactly one of/],
  ['op missing', [{ v: 1, type: 'op', digest: SRC_DIGEST }], /^stdin:1: op: expected an object$/],
  ['result with unknown op', [srcOp, result({ digest: EXEC_DIGEST, index: 0 })], new RegExp(`^stdin:2: result names op "${EXEC_DIGEST}" which is not defined on an earlier line$`)],
  ['result before its op', [result({ digest: SRC_DIGEST, index: 0 }), srcOp], /^stdin:1: result names op/],
  ['result without input', [srcOp, { ...result(), input: undefined }], /^stdin:2: result names op undefined which is not defined/],
  ['result without config', [srcOp, { ...result({ digest: SRC_DIGEST, index: 0 }), config: undefined }], /^stdin:2: result record needs a config object$/],
  ['result with string config', [{ ...result(null), config: '{}' }], /^stdin:1: result record needs a config object$/],
  ['source without data', [{ v: 1, type: 'source', file: 'Dockerfile' }], /^stdin:1: source record needs file and data strings$/],
  ['source with numeric file', [{ v: 1, type: 'source', file: 1, data: '' }], /^stdin:1: source record needs file and data strings$/],
  ['framing error', [srcOp, '{oops'], /^stdin:2: not a JSON record/],
  ['array record', ['[]'], /^stdin:1: a record must be a JSON object$/],
];

for (const [name, records, re] of BAD) {
  test(`readGraph rejects: ${name}`, async () => {
    try {
      await readGraph(lines(records));
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, WireFormatError);
      assert.match((err as Error).message, re);
    }
  });
}

test('readGraph errors carry the line number', async () => {
  const cases: [unknown[], number][] = [
    [[source, srcOp, { ...execOp, digest: SRC_DIGEST }], 3],
    [['', '', { ...srcOp, v: 0 }], 3],
    [[srcOp, '', '', result({ digest: EXEC_DIGEST, index: 0 })], 4],
    [[], 0],
  ];
  for (const [records, line] of cases) {
    try {
      await readGraph(lines(records));
      assert.unreachable();
    } catch (err) {
      assert.is((err as WireFormatError).line, line);
    }
  }
});

const image = { v: 1, type: 'image', target: '', platform: PLATFORM, store: '/var/lib/cas-store', layers: [], config: CONFIG };

test('readImages reads image records in order', async () => {
  const out = await readImages(lines([image, '', { ...image, target: 'second' }]));
  assert.equal(out.map((i) => i.target), ['', 'second']);
  assert.is(out[0].store, '/var/lib/cas-store');
});

const BAD_IMAGES: [string, unknown[], RegExp][] = [
  ['empty', [], /^no image record on stdin \(is this llb-solve output\?\)$/],
  ['a graph record', [srcOp], /^stdin:1: unexpected record type "op" \(image reader reads image\)$/],
  ['a result record after an image', [image, result(null)], /^stdin:2: unexpected record type "result" \(image reader reads image\)$/],
  ['a source record', [source], /^stdin:1: unexpected record type "source"/],
  ['wrong version', [{ ...image, v: 2 }], /^stdin:1: unsupported wire version 2 \(this image reader reads v1\)$/],
  ['no layers', [{ ...image, layers: undefined }], /^stdin:1: image record needs layers, config and store$/],
  ['layers not an array', [{ ...image, layers: {} }], /^stdin:1: image record needs layers, config and store$/],
  ['no config', [image, { ...image, config: null }], /^stdin:2: image record needs layers, config and store$/],
  ['store not a string', [{ ...image, store: 1 }], /^stdin:1: image record needs layers, config and store$/],
  ['framing', ['{"v":1,"type":"image"'], /^stdin:1: not a JSON record/],
];

for (const [name, records, re] of BAD_IMAGES) {
  test(`readImages rejects: ${name}`, async () => {
    try {
      await readImages(lines(records));
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, WireFormatError);
      assert.match((err as Error).message, re);
    }
  });
}

test.run();
