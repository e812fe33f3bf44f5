// The parse loop: physical lines -> instructions. It follows BuildKit's
// parser.Parse closely because line numbers, continuation joining, comment and
// blank-line skipping, and heredoc consumption all show in the results.

import { ShellExpansionError } from '../shell/index.ts';
import { EscapeState, DirectiveParser, type DirectiveValues } from './directives.ts';
import { DockerfileSyntaxError, ParseProblem } from './errors.ts';
import { heredocsFromLine } from './heredoc.ts';
import { canContainHeredoc, parseInstruction } from './instruction.ts';
import { LineScanner } from './line-scanner.ts';
import { makeNode, type Node, type ParseResult, type Warning } from './node.ts';
import { trimLeadingTabs, trimLeftSpace, trimNewline } from './text.ts';
import { encodeUtf8 } from './utf8.ts';

export type ParseOptions = { file?: string };

const BOM = '\ufeff';

export function parseDockerfile(src: string | Uint8Array, opts: ParseOptions = {}): ParseResult {
  const file = opts.file ?? 'Dockerfile';
  const scanner = new LineScanner(typeof src === 'string' ? encodeUtf8(src) : src);
  const escape = new EscapeState();
  const directiveParser = new DirectiveParser();
  const directives: DirectiveValues = { escape: '\\' };
  const root = makeNode({ startLine: -1 });
  const warnings: Warning[] = [];
  let currentLine = 0;

  const fail = (err: unknown, line: number): never => {
    throw toSyntaxError(err, file, line, scanner.sourceLine(line));
  };

  // Directive detection runs on every line that goes through here (it stops by
  // itself after the first non-directive line); comment lines come back empty.
  const processLine = (raw: string, stripLeft: boolean): string => {
    let token = trimNewline(raw);
    if (stripLeft) token = trimLeftSpace(token);
    const d = directiveParser.parseLine(token);
    if (d !== null) {
      if (d.name === 'escape') {
        escape.set(d.value);
        directives.escape = d.value;
      } else if (d.name === 'syntax') {
        directives.syntax = d.value;
      } else {
        directives.check = d.value;
      }
    }
    return isComment(token) ? '' : token;
  };

  while (scanner.scan()) {
    let raw = scanner.line;
    if (currentLine === 0 && raw.startsWith(BOM)) raw = raw.slice(1);
    let text = '';
    try {
      text = processLine(raw, true);
    } catch (err) {
      fail(err, currentLine + 1);
    }
    currentLine++;
    const startLine = currentLine;

    let { text: joined, continues } = escape.trimContinuation(text);
    if (!continues && joined === '') continue; // blank line or comment

    let hasEmptyContinuationLine = false;
    while (continues && scanner.scan()) {
      const next = scanner.line;
      let processed = '';
      try {
        processed = processLine(next, false);
      } catch (err) {
        fail(err, currentLine + 1);
      }
      currentLine++;
      // Comment lines inside a continuation vanish entirely.
      if (isComment(next)) continue;
      if (trimLeftSpace(trimNewline(processed)) === '') {
        hasEmptyContinuationLine = true;
        continue;
      }
      const part = escape.trimContinuation(processed);
      continues = part.continues;
      joined += part.text;
    }

    if (hasEmptyContinuationLine) {
      warnings.push({ message: 'Empty continuation line found in: ' + joined, line: currentLine });
    }

    let child: Node = makeNode();
    try {
      child = parseInstruction(joined, escape.token);
    } catch (err) {
      fail(err, startLine);
    }

    if (canContainHeredoc(child) && joined.includes('<<')) {
      currentLine = readHeredocs(child, joined, scanner, currentLine, (err) => fail(err, startLine));
    }

    child.startLine = startLine;
    child.endLine = currentLine;
    if (child.sub) {
      child.sub.startLine = startLine;
      child.sub.endLine = currentLine;
    }
    if (root.startLine < 0) root.startLine = startLine;
    root.endLine = currentLine;
    root.children.push(child);
  }

  if (root.startLine < 0) {
    const line = Math.max(1, currentLine);
    throw new DockerfileSyntaxError('file with no instructions', { file, line, sourceLine: scanner.sourceLine(line) });
  }
  if (scanner.tooLong) {
    const line = currentLine + 1;
    throw new DockerfileSyntaxError('dockerfile line greater than max allowed size of 65535', { file, line });
  }
  return { root, directives, warnings };
}

/**
 * Read the bodies of the heredocs named on the instruction line, in order, from
 * the following physical lines. Returns the updated line counter.
 */
function readHeredocs(
  child: Node,
  line: string,
  scanner: LineScanner,
  currentLine: number,
  fail: (err: unknown) => never,
): number {
  let lineNo = currentLine;
  let docs: ReturnType<typeof heredocsFromLine> = [];
  try {
    docs = heredocsFromLine(line);
  } catch (err) {
    fail(err);
  }
  for (const doc of docs) {
    let terminated = false;
    let content = doc.content;
    while (scanner.scan()) {
      const raw = scanner.line;
      lineNo++;
      let candidate = trimNewline(raw);
      if (doc.chomp) candidate = trimLeadingTabs(candidate);
      if (candidate === doc.name) {
        terminated = true;
        break;
      }
      content += raw;
    }
    if (!terminated) fail(new ParseProblem('unterminated heredoc', '<<'));
    doc.content = content;
    child.heredocs.push(doc);
  }
  return lineNo;
}

/** A comment line: its first non-blank character is `#`. */
function isComment(line: string): boolean {
  return trimLeftSpace(line).startsWith('#');
}

/** Attach a location to a failure from a helper. Programming errors pass through. */
function toSyntaxError(err: unknown, file: string, line: number, sourceLine: string): unknown {
  if (err instanceof DockerfileSyntaxError) return err;
  if (!(err instanceof ParseProblem) && !(err instanceof ShellExpansionError)) return err;
  const near = err instanceof ParseProblem ? err.near : undefined;
  return new DockerfileSyntaxError(err.message, { file, line, column: columnOf(sourceLine, near), sourceLine }, {
    cause: err,
  });
}

/** 1-based column of `near` in the line, else of the first non-blank character. */
function columnOf(sourceLine: string, near?: string): number {
  let idx = near ? sourceLine.indexOf(near) : -1;
  if (idx < 0) idx = sourceLine.length - trimLeftSpace(sourceLine).length;
  return [...sourceLine.slice(0, idx)].length + 1;
}
