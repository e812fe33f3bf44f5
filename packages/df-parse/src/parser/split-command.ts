// Split an instruction line into keyword, `--flags` and argument text.
//
// Flag extraction works on BYTES, as upstream does: each byte is treated as a
// character of its own. Two visible consequences we keep for byte-exactness:
// bytes 0x85 and 0xA0 (parts of some UTF-8 characters) count as whitespace, and a
// non-ASCII byte inside a flag is re-encoded as the Latin-1 character of that
// value ("é" in a flag becomes "Ã©").

import { isGoSpace } from '../shell/unicode.ts';
import { splitWhitespace, trimSpace } from './text.ts';
import { decodeUtf8, encodeUtf8 } from './utf8.ts';

export type SplitCommand = { cmd: string; flags: string[]; args: string };

export function splitCommand(line: string, escapeToken: string): SplitCommand {
  const parts = splitWhitespace(trimSpace(line), 2);
  let args = '';
  let flags: string[] = [];
  if (parts.length === 2) ({ rest: args, flags } = extractBuilderFlags(parts[1], escapeToken));
  return { cmd: parts[0], flags, args: trimSpace(args) };
}

const SPACES = 0;
const WORD = 1;
const QUOTE = 2;
const DASH = 0x2d;

/**
 * Take leading `--flag` words off `line`. Quotes and escapes inside a flag are
 * resolved; a lone `--` ends the flags and is dropped. Returns the rest verbatim.
 */
export function extractBuilderFlags(line: string, escapeToken: string): { rest: string; flags: string[] } {
  const b = encodeUtf8(line);
  const n = b.length;
  const esc = escapeToken.charCodeAt(0);
  const flags: string[] = [];
  const restFrom = (pos: number) => ({ rest: decodeUtf8(b.subarray(pos)), flags });
  let phase = SPACES;
  let sb = '';
  let quote = 0;
  let blankOK = false;
  let ch = 0;

  for (let pos = 0; pos <= n; pos++) {
    if (pos !== n) ch = b[pos];
    if (phase === SPACES) {
      if (pos === n) break;
      if (isGoSpace(ch)) continue;
      // Only a word starting with "--" is a flag; anything else ends the flags.
      if (ch !== DASH || pos + 1 === n || b[pos + 1] !== DASH) return restFrom(pos);
      phase = WORD;
    }
    if (pos === n) {
      if (sb !== '--' && (blankOK || sb.length > 0)) flags.push(sb);
      break;
    }
    if (phase === WORD) {
      if (isGoSpace(ch)) {
        phase = SPACES;
        if (sb === '--') return restFrom(pos);
        if (blankOK || sb.length > 0) flags.push(sb);
        sb = '';
        blankOK = false;
        continue;
      }
      if (ch === 0x27 || ch === 0x22) {
        quote = ch;
        blankOK = true;
        phase = QUOTE;
        continue;
      }
      if (ch === esc) {
        if (pos + 1 === n) continue; // trailing escape is dropped
        pos++;
        ch = b[pos];
      }
      sb += String.fromCharCode(ch);
      continue;
    }
    // phase === QUOTE: the escape works inside both kinds of quotes here.
    if (ch === quote) {
      phase = WORD;
      continue;
    }
    if (ch === esc) {
      if (pos + 1 === n) {
        phase = WORD;
        continue;
      }
      pos++;
      ch = b[pos];
    }
    sb += String.fromCharCode(ch);
  }
  return { rest: '', flags };
}
