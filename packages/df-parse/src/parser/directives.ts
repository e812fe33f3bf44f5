// Parser directives (`# syntax=`, `# escape=`, `# check=`) and the escape state
// they control. Directives are read only from the top of the file: the first line
// that is not a well-formed directive with a known name ends the scan for good.

import { ParseProblem } from './errors.ts';
import { trimLeftSpace } from './text.ts';

// Go's `\s` is [\t\n\f\r ] (no \v) and `.` is anything but "\n".
const DIRECTIVE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/u;
const KNOWN = new Set(['syntax', 'escape', 'check']);

export type Directive = { name: string; value: string; line: number };

/** Scans lines one by one while directives are still allowed. */
export class DirectiveParser {
  private line = 0;
  private done = false;
  private readonly seen = new Set<string>();

  /** Feed the next line; returns the directive on it, or null. Throws on duplicates. */
  parseLine(text: string): Directive | null {
    this.line++;
    if (this.done) return null;
    if (!text.startsWith('#')) {
      this.done = true;
      return null;
    }
    const m = DIRECTIVE.exec(trimLeftSpace(text.slice(1)));
    if (m === null) {
      this.done = true;
      return null;
    }
    const name = m[1].toLowerCase();
    if (!KNOWN.has(name)) {
      this.done = true;
      return null;
    }
    if (this.seen.has(name)) throw new ParseProblem(`only one ${name} parser directive can be used`);
    this.seen.add(name);
    return { name, value: m[2], line: this.line };
  }
}

/** The escape character in force and the line-continuation test that goes with it. */
export class EscapeState {
  token = '\\';
  private continuation = continuationRegExp('\\');

  set(token: string): void {
    if (token !== '`' && token !== '\\') {
      throw new ParseProblem(`invalid escape token '${token}' does not match \` or \\`);
    }
    this.token = token;
    this.continuation = continuationRegExp(token);
  }

  /**
   * If the line ends with the escape character (trailing blanks allowed) and that
   * character is not itself preceded by one, remove it and say "continues".
   * (`a\\\` therefore does not continue: a known upstream quirk.)
   */
  trimContinuation(line: string): { text: string; continues: boolean } {
    if (!this.continuation.test(line)) return { text: line, continues: false };
    return { text: line.replace(this.continuation, '$1'), continues: true };
  }
}

function continuationRegExp(token: string): RegExp {
  // Only `\` needs escaping in a u-mode RegExp; a backtick must stay bare.
  const t = token === '\\' ? '\\\\' : token;
  return new RegExp(`([^${t}])${t}[ \\t]*$|^${t}[ \\t]*$`, 'u');
}

/** Everything the directive lines set. */
export type DirectiveValues = { escape: string; syntax?: string; check?: string };
