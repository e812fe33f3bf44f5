// The AST types. They follow BuildKit's parser.Node, with two changes that make
// them easier to use from TypeScript: arguments are an array instead of a linked
// list, and ONBUILD's nested instruction is `sub` instead of a child of a child.

export type Heredoc = {
  /** terminator word, quotes removed */
  name: string;
  /** body lines verbatim, each with its line ending; not tab-stripped even for `<<-` */
  content: string;
  /** false when any part of the terminator word was quoted: no variable expansion */
  expand: boolean;
  /** true for `<<-` (leading tabs are stripped later, see chompHeredocContent) */
  chomp: boolean;
  /** digits before `<<` (`3<<EOF`), 0 when absent */
  fileDescriptor: number;
};

export type Node = {
  /** lower-cased keyword for instruction nodes, the argument text for argument nodes, "" on root */
  value: string;
  /** argument nodes, in order */
  next: Node[];
  /** instructions, on the root only */
  children: Node[];
  heredocs: Heredoc[];
  /** true when the arguments were written as a JSON array (exec form) */
  json: boolean;
  /** the whole instruction line after continuation joining */
  original: string;
  /** `--flag[=value]` tokens, quotes and escapes resolved */
  flags: string[];
  /**
   * 1-based physical lines, inclusive, including skipped comment/blank lines and
   * heredoc bodies; 0 on argument nodes. ONBUILD's `sub` copies its parent's lines.
   */
  startLine: number;
  endLine: number;
  /** ONBUILD's nested instruction */
  sub?: Node;
};

export type Warning = { message: string; line: number };

export type ParseResult = {
  root: Node;
  directives: { escape: string; syntax?: string; check?: string };
  warnings: Warning[];
};

/** A fresh node with every field present. */
export function makeNode(fields: Partial<Node> = {}): Node {
  return {
    value: '',
    next: [],
    children: [],
    heredocs: [],
    json: false,
    original: '',
    flags: [],
    startLine: 0,
    endLine: 0,
    ...fields,
  };
}

/** An argument node holding one string. */
export function argNode(value: string): Node {
  return makeNode({ value });
}
