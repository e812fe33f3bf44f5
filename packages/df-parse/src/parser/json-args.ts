// Exec-form detection: is the argument text a JSON array of strings?
// Decisions follow Go's encoding/json as BuildKit uses it:
//  * any syntax error -> not JSON (the caller falls back to the raw text);
//  * a number too large for float64, or nesting deeper than 10000 -> also an
//    error in Go, so also "not JSON" (JSON.parse would accept both);
//  * valid JSON with a non-string element -> a hard parse error;
//  * bad UTF-8 and unpaired \uD800-style escapes decode to U+FFFD.

import { ParseProblem } from './errors.ts';
import { trimLeftSpace } from './text.ts';

export const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';

const MAX_NESTING = 10000;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The decoded strings, or null when the text is not a (valid) JSON array. */
export function parseJSONArray(rest: string): string[] | null {
  const text = trimLeftSpace(rest);
  if (!text.startsWith('[')) return null;
  const clean = text.replace(LONE_SURROGATE, '\ufffd');
  if (tooDeep(clean)) return null;
  let value: unknown;
  try {
    value = JSON.parse(clean);
  } catch {
    return null;
  }
  if (!Array.isArray(value) || hasOverflow(value)) return null;
  const out: string[] = [];
  for (const el of value) {
    if (typeof el !== 'string') throw new ParseProblem(NOT_STRING_ARRAY, '[');
    out.push(el.replace(LONE_SURROGATE, '\ufffd'));
  }
  return out;
}

/** Go's JSON scanner rejects documents nested more than 10000 levels deep. */
function tooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_NESTING) return true;
    } else if (c === ']' || c === '}') {
      depth--;
    }
  }
  return false;
}

/** A number that does not fit a float64 makes Go's Unmarshal fail. */
function hasOverflow(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (Array.isArray(v)) return v.some(hasOverflow);
  if (v !== null && typeof v === 'object') return Object.values(v).some(hasOverflow);
  return false;
}
