// Per-instruction argument parsers: how the text after the keyword and flags is
// cut into argument nodes (README table 1.2 / BuildKit line_parsers.go). No
// expansion or unquoting happens here; that is the build step's job.

import { ParseProblem } from './errors.ts';
import { parseJSONArray } from './json-args.ts';
import { argNode, type Node } from './node.ts';
import { goQuote } from './quote.ts';
import { splitWhitespace } from './text.ts';
import { decodeUtf8, encodeUtf8 } from './utf8.ts';
import { parseWords } from './words.ts';
import { isGoSpace } from '../shell/unicode.ts';

export type ParsedArgs = { next: Node[]; json: boolean; sub?: Node };

export type LineParserContext = {
  escapeToken: string;
  /** parse a complete nested instruction (for ONBUILD) */
  parseInstruction(line: string): Node;
};

type LineParser = (rest: string, ctx: LineParserContext) => ParsedArgs;

const NONE: ParsedArgs = { next: [], json: false };

const nodes = (values: string[], json = false): ParsedArgs => ({ next: values.map(argNode), json });

/** Unknown keywords keep one empty argument: `FOO bar` dumps as (foo ""). */
const parseIgnore: LineParser = () => nodes(['']);

/** ONBUILD: the rest is an instruction of its own. */
const parseSubCommand: LineParser = (rest, ctx) =>
  rest === '' ? NONE : { next: [], json: false, sub: ctx.parseInstruction(rest) };

/** ENV / LABEL: key-value pairs, each as (key, value, separator) nodes. */
function parseNameVal(rest: string, key: string, ctx: LineParserContext): ParsedArgs {
  const words = parseWords(rest, ctx.escapeToken);
  if (words.length === 0) return NONE;
  // Old form `KEY name value`: the first word has no "=".
  if (!words[0].includes('=')) {
    const parts = splitWhitespace(rest, 2);
    if (parts.length < 2) throw new ParseProblem(`${key} must have two arguments`, parts[0]);
    return nodes([parts[0], parts[1], '']);
  }
  const values: string[] = [];
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq < 0) {
      throw new ParseProblem(
        `Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`,
        word,
      );
    }
    values.push(word.slice(0, eq), word.slice(eq + 1), '=');
  }
  return nodes(values);
}

/** ARG: quote-aware words, `=` left in place. */
const parseNameOrNameVal: LineParser = (rest, ctx) => nodes(parseWords(rest, ctx.escapeToken));

/** FROM / EXPOSE (and the non-JSON fallback of ADD/COPY/VOLUME): split on blanks. */
const parseStringsWhitespaceDelimited: LineParser = (rest) =>
  rest === '' ? NONE : nodes(splitWhitespace(rest, -1));

/** MAINTAINER / STOPSIGNAL / USER / WORKDIR: the rest, verbatim. */
const parseString: LineParser = (rest) => (rest === '' ? NONE : nodes([rest]));

/** RUN / CMD / ENTRYPOINT / SHELL: a JSON string array, or one raw-text node. */
const parseMaybeJSON: LineParser = (rest) => {
  if (rest === '') return NONE;
  const json = parseJSONArray(rest);
  return json !== null ? nodes(json, true) : nodes([rest]);
};

/** ADD / COPY / VOLUME: a JSON string array, or a blank-separated list. */
const parseMaybeJSONToList: LineParser = (rest, ctx) => {
  const json = parseJSONArray(rest);
  return json !== null ? nodes(json, true) : parseStringsWhitespaceDelimited(rest, ctx);
};

/**
 * HEALTHCHECK: first word is the type (CMD, NONE, ...), the remainder is like CMD.
 * Upstream finds the first word byte by byte, so bytes 0x85/0xA0 count as blanks.
 */
const parseHealthConfig: LineParser = (rest, ctx) => {
  const b = encodeUtf8(rest);
  let sep = 0;
  while (sep < b.length && !isGoSpace(b[sep])) sep++;
  let next = sep;
  while (next < b.length && isGoSpace(b[next])) next++;
  if (sep === 0) return NONE;
  const cmd = parseMaybeJSON(decodeUtf8(b.subarray(next)), ctx);
  return { next: [argNode(decodeUtf8(b.subarray(0, sep))), ...cmd.next], json: cmd.json };
};

const DISPATCH: Record<string, LineParser> = {
  add: parseMaybeJSONToList,
  arg: parseNameOrNameVal,
  cmd: parseMaybeJSON,
  copy: parseMaybeJSONToList,
  entrypoint: parseMaybeJSON,
  env: (rest, ctx) => parseNameVal(rest, 'ENV', ctx),
  expose: parseStringsWhitespaceDelimited,
  from: parseStringsWhitespaceDelimited,
  healthcheck: parseHealthConfig,
  label: (rest, ctx) => parseNameVal(rest, 'LABEL', ctx),
  maintainer: parseString,
  onbuild: parseSubCommand,
  run: parseMaybeJSON,
  shell: parseMaybeJSON,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJSONToList,
  workdir: parseString,
};

/** Parse the argument text of the instruction `keyword` (already lower-cased). */
export function parseArguments(keyword: string, rest: string, ctx: LineParserContext): ParsedArgs {
  const parser = Object.hasOwn(DISPATCH, keyword) ? DISPATCH[keyword] : parseIgnore;
  return parser(rest, ctx);
}
