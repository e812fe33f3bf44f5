// `${x//pat/repl}` uses Go's Regexp.ReplaceAllString, which differs from JS
// String.prototype.replace in two ways that change results:
//  * the replacement is a Go template: `$$` is a dollar, `$0`/`${0}` the match,
//    any other `$name` is empty, and a malformed `$` stays literal;
//  * an empty match right after a previous match is not replaced
//    ("abc" with /.*/ gives one replacement in Go, two in JS).

import { isGoDigit, isGoLetter } from './unicode.ts';

/** Replace every match of `re` (which must carry the `g` flag) the way Go does. */
export function goReplaceAll(re: RegExp, src: string, template: string): string {
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length) {
    re.lastIndex = searchPos;
    const m = re.exec(src);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    out += src.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += expandTemplate(template, m[0]);
    lastMatchEnd = end;
    // Always advance at least one character (a whole code point).
    const cp = src.codePointAt(searchPos);
    const width = cp === undefined ? 0 : cp > 0xffff ? 2 : 1;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + src.slice(lastMatchEnd);
}

/** Go's Regexp.Expand for a pattern without capture groups. */
function expandTemplate(template: string, match: string): string {
  let out = '';
  let rest = template;
  for (;;) {
    const at = rest.indexOf('$');
    if (at < 0) break;
    out += rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = extractReference(rest);
    if (ref === null) {
      out += '$';
      continue;
    }
    rest = ref.rest;
    if (ref.num === 0) out += match; // group 0 is the whole match; no other groups exist
  }
  return out + rest;
}

/** Parse `name` or `{name}` after a `$`; null when malformed. num is -1 for non-numbers. */
function extractReference(str: string): { num: number; rest: string } | null {
  let s = str;
  const brace = s.startsWith('{');
  if (brace) s = s.slice(1);
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i) as number;
    if (!isGoLetter(cp) && !isGoDigit(cp) && cp !== 0x5f) break;
    i += cp > 0xffff ? 2 : 1;
  }
  if (i === 0) return null;
  const name = s.slice(0, i);
  if (brace) {
    if (i >= s.length || s[i] !== '}') return null;
    i++;
  }
  let num = 0;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 0x30 || c > 0x39 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (c - 0x30);
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  return { num, rest: s.slice(i) };
}
