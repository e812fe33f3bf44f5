// Readers that turn an NDJSON stream into checked records. A tool that gets a
// record it does not understand (other version, other type, bad digest, an input
// that was not defined before) stops before doing anything, naming the line.
import { WireFormatError } from './errors.ts';
import { readNdjson, type LineRecord } from './ndjson.ts';
import { normalizeOp, normalizedDigest } from './ops.ts';
import { WIRE_VERSION, type ImageRecord, type OpRecord, type ResultRecord, type SourceRecord } from './records.ts';

export type Graph = {
  /** ops in input order (dependencies first) */
  ops: Map<string, OpRecord>;
  results: ResultRecord[];
  sources: SourceRecord[];
};

function checkEnvelope(rec: LineRecord, allowed: readonly string[], who: string): string {
  const { value, line } = rec;
  if (value.v !== WIRE_VERSION) {
    throw new WireFormatError(`unsupported wire version ${JSON.stringify(value.v)} (this ${who} reads v${WIRE_VERSION})`, { line });
  }
  const type = value.type;
  if (typeof type !== 'string' || !allowed.includes(type)) {
    throw new WireFormatError(`unexpected record type ${JSON.stringify(type)} (${who} reads ${allowed.join(', ')})`, { line });
  }
  return type;
}

function withLine<T>(line: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WireFormatError && !err.line) throw new WireFormatError(err.message, { line, cause: err });
    throw err;
  }
}

/** Read a build graph (df-parse output). */
export async function readGraph(input: AsyncIterable<string | Uint8Array>): Promise<Graph> {
  const g: Graph = { ops: new Map(), results: [], sources: [] };
  for await (const rec of readNdjson(input)) {
    const type = checkEnvelope(rec, ['source', 'op', 'result'], 'graph reader');
    const v = rec.value;
    withLine(rec.line, () => {
      if (type === 'source') {
        if (typeof v.file !== 'string' || typeof v.data !== 'string') throw new WireFormatError('source record needs file and data strings');
        g.sources.push(v as unknown as SourceRecord);
      } else if (type === 'op') {
        const op = normalizeOp(v.op);
        const digest = normalizedDigest(op);
        if (v.digest !== digest) throw new WireFormatError(`op digest ${JSON.stringify(v.digest)} does not match its content (${digest})`);
        for (const inp of op.inputs) {
          if (!g.ops.has(inp.digest)) throw new WireFormatError(`op input ${inp.digest} is not defined on an earlier line`);
        }
        const meta = (v.meta ?? {}) as Partial<OpRecord['meta']>;
        g.ops.set(digest, { v: 1, type: 'op', digest, op, meta: { name: '', stage: '', command: '', locations: [], ignoreCache: false, ...meta } });
      } else {
        const input = v.input as ResultRecord['input'];
        if (input !== null && (!input || !g.ops.has(input.digest))) {
          throw new WireFormatError(`result names op ${JSON.stringify(input?.digest)} which is not defined on an earlier line`);
        }
        if (!v.config || typeof v.config !== 'object') throw new WireFormatError('result record needs a config object');
        g.results.push(v as unknown as ResultRecord);
      }
    });
  }
  if (g.results.length === 0) throw new WireFormatError('the graph has no result record (is this df-parse output?)');
  return g;
}

/** Read solved images (llb-solve output). */
export async function readImages(input: AsyncIterable<string | Uint8Array>): Promise<ImageRecord[]> {
  const out: ImageRecord[] = [];
  for await (const rec of readNdjson(input)) {
    checkEnvelope(rec, ['image'], 'image reader');
    const v = rec.value as unknown as ImageRecord;
    withLine(rec.line, () => {
      if (!Array.isArray(v.layers) || !v.config || typeof v.store !== 'string') {
        throw new WireFormatError('image record needs layers, config and store');
      }
    });
    out.push(v);
  }
  if (out.length === 0) throw new WireFormatError('no image record on stdin (is this llb-solve output?)');
  return out;
}
