// Canonical JSON: the one encoding whose sha256 names an op. Keys are sorted by
// UTF-16 code unit order, no whitespace, zero values kept as written. Only plain
// JSON values are allowed, so the same op always hashes the same on every runtime.
import { createHash } from 'node:crypto';
import { WireFormatError } from './errors.ts';

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new WireFormatError(`cannot encode non-finite number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        const items: string[] = [];
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) throw new WireFormatError(`cannot encode a sparse array (hole at index ${i})`);
          items.push(canonicalJson(value[i]));
        }
        return `[${items.join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new WireFormatError(`cannot encode a ${value.constructor?.name ?? 'non-plain object'} in canonical JSON`);
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new WireFormatError(`cannot encode a ${typeof value} in canonical JSON`);
  }
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256:<hex>` of the canonical encoding of `value`. */
export function canonicalDigest(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
export function isDigest(s: unknown): s is string {
  return typeof s === 'string' && DIGEST_RE.test(s);
}
