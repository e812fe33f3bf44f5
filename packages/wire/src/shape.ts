// A tiny declarative schema: fills defaults for missing fields and type-checks
// present ones, so producers may omit zero values yet every op encodes one way.
import { isDigest } from './canonical.ts';
import { WireFormatError } from './errors.ts';

export type Shape =
  | { str: string }
  | { int: number }
  | { bool: boolean }
  | { digest: true }
  | { oneOf: string[] }
  | { list: Shape }
  | { map: Shape }
  | { obj: Record<string, Shape> }
  /** object or null; missing = null */
  | { nullable: Record<string, Shape> }
  /** object or absent; missing stays absent */
  | { optional: Record<string, Shape> };

const bad = (path: string, want: string, got: unknown) =>
  new WireFormatError(`${path}: expected ${want}, got ${JSON.stringify(got)?.slice(0, 40)}`);

// Field names in code-unit order, computed once per shape: objects come out with
// sorted keys, so JSON.stringify of a normalised value is already canonical.
const sortedFields = new WeakMap<object, [string, Shape][]>();
function fieldsOf(fields: Record<string, Shape>): [string, Shape][] {
  let f = sortedFields.get(fields);
  if (!f) {
    f = Object.keys(fields).sort().map((k) => [k, fields[k]]);
    sortedFields.set(fields, f);
  }
  return f;
}

export function shapeOf(shape: Shape, v: unknown, path: string): unknown {
  if ('str' in shape) {
    if (v === undefined || v === null) return shape.str;
    if (typeof v !== 'string') throw bad(path, 'a string', v);
    return v;
  }
  if ('int' in shape) {
    if (v === undefined || v === null) return shape.int;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(path, 'an integer', v);
    return v;
  }
  if ('bool' in shape) {
    if (v === undefined || v === null) return shape.bool;
    if (typeof v !== 'boolean') throw bad(path, 'true or false', v);
    return v;
  }
  if ('digest' in shape) {
    if (!isDigest(v)) throw bad(path, 'a sha256:<64 hex> digest', v);
    return v;
  }
  if ('oneOf' in shape) {
    if (v === undefined || v === null) return shape.oneOf[0];
    if (typeof v !== 'string' || !shape.oneOf.includes(v)) throw bad(path, `one of ${shape.oneOf.join('|')}`, v);
    return v;
  }
  if ('list' in shape) {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw bad(path, 'an array', v);
    return v.map((x, i) => shapeOf(shape.list, x, `${path}[${i}]`));
  }
  if ('map' in shape) {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw bad(path, 'an object', v);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      if (k === '__proto__') throw new WireFormatError(`${path}: key "__proto__" is not allowed`);
      out[k] = shapeOf(shape.map, (v as Record<string, unknown>)[k], `${path}.${k}`);
    }
    return out;
  }
  const fields = 'obj' in shape ? shape.obj : 'nullable' in shape ? shape.nullable : shape.optional;
  if (v === undefined || v === null) {
    if ('nullable' in shape) return null;
    if ('optional' in shape) return undefined;
    v = {};
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(path, 'an object', v);
  const rec = v as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    if (!Object.hasOwn(fields, k)) throw new WireFormatError(`${path}: unknown field ${JSON.stringify(k)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, s] of fieldsOf(fields)) {
    const val = shapeOf(s, rec[k], `${path}.${k}`);
    if (val !== undefined) out[k] = val;
  }
  return out;
}
