// The part of TOML that buildkitd.toml uses: [tables], [[arrays of tables]],
// dotted and quoted keys, strings, numbers, booleans, arrays, inline tables.
import { UsageError } from '@pipekit/wire';

type Table = Record<string, unknown>;

export function parseToml(text: string, file = 'config'): Table {
  const root: Table = {};
  let current = root;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const where = `${file}:${i + 1}`;
    let line = stripComment(lines[i]).trim();
    if (!line) continue;
    // arrays spanning lines: keep reading until brackets balance
    while (/=\s*\[/.test(line) && depth(line) > 0 && i + 1 < lines.length) line += ` ${stripComment(lines[++i]).trim()}`;
    const arr = /^\[\[\s*(.+?)\s*\]\]$/.exec(line);
    const tbl = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (arr) {
      const keys = splitKey(arr[1], where);
      const parent = descend(root, keys.slice(0, -1), where);
      const last = keys[keys.length - 1];
      const list = (parent[last] ??= []) as unknown[];
      if (!Array.isArray(list)) throw new UsageError(`${where}: ${arr[1]} is not an array of tables`);
      current = {};
      list.push(current);
    } else if (tbl) {
      current = descend(root, splitKey(tbl[1], where), where);
    } else {
      const eq = findEq(line);
      if (eq < 0) throw new UsageError(`${where}: expected key = value, got ${JSON.stringify(line)}`);
      const keys = splitKey(line.slice(0, eq).trim(), where);
      const target = descend(current, keys.slice(0, -1), where);
      target[keys[keys.length - 1]] = parseValue(line.slice(eq + 1).trim(), where);
    }
  }
  return root;
}

function stripComment(line: string): string {
  let q: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '\\' && q === '"') i++;
      else if (c === q) q = null;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}

function depth(s: string): number {
  let d = 0;
  let q: string | null = null;
  for (const c of s) {
    if (q) {
      if (c === q) q = null;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '[') d++;
    else if (c === ']') d--;
  }
  return d;
}

function findEq(line: string): number {
  let q: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === q) q = null;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '=') return i;
  }
  return -1;
}

function splitKey(key: string, where: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(\.|$)/y;
  let at = 0;
  while (at < key.length) {
    re.lastIndex = at;
    const m = re.exec(key);
    if (!m) throw new UsageError(`${where}: bad key ${JSON.stringify(key)}`);
    out.push(m[1] ?? m[2] ?? m[3]);
    at = re.lastIndex;
  }
  return out;
}

function descend(t: Table, keys: string[], where: string): Table {
  let cur = t;
  for (const k of keys) {
    let next = cur[k];
    if (Array.isArray(next)) next = next[next.length - 1];
    if (next === undefined) next = cur[k] = {};
    if (typeof next !== 'object' || next === null) throw new UsageError(`${where}: ${k} is not a table`);
    cur = next as Table;
  }
  return cur;
}

function parseValue(v: string, where: string): unknown {
  if (v.startsWith('"')) return JSON.parse(v.replace(/\\'/g, "'"));
  if (v.startsWith("'")) return v.slice(1, v.lastIndexOf("'"));
  if (v === 'true' || v === 'false') return v === 'true';
  if (v.startsWith('[')) return splitTop(v.slice(1, v.lastIndexOf(']'))).map((x) => parseValue(x, where));
  if (v.startsWith('{')) {
    const out: Table = {};
    for (const part of splitTop(v.slice(1, v.lastIndexOf('}')))) {
      const eq = findEq(part);
      out[splitKey(part.slice(0, eq).trim(), where).join('.')] = parseValue(part.slice(eq + 1).trim(), where);
    }
    return out;
  }
  const n = Number(v.replace(/_/g, ''));
  if (v !== '' && Number.isFinite(n)) return n;
  throw new UsageError(`${where}: cannot read value ${JSON.stringify(v)}`);
}

/** Split "a, [b, c], 'd'" at top-level commas. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let d = 0;
  let q: string | null = null;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === '\\' && q === '"') i++;
      else if (c === q) q = null;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '[' || c === '{') d++;
    else if (c === ']' || c === '}') d--;
    else if (c === ',' && d === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out.filter(Boolean);
}
