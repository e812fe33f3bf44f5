// BuildKit's Node.Dump(): the s-expression format of the upstream golden files.
//
// dumpAst(root) returns one `(instruction ...)` line per child, joined with "\n"
// and WITHOUT a trailing newline (upstream trims it); a golden `result` file equals
// dumpAst(root) + "\n". Called on an instruction node it returns that
// instruction's dump without the surrounding parentheses, as upstream does.

import type { Node } from './node.ts';
import { goQuote } from './quote.ts';
import { toLowerGo, trimSpace } from './text.ts';

export function dumpAst(node: Node): string {
  let str = toLowerGo(node.value);
  if (node.flags.length > 0) str += ' [' + node.flags.map((f) => goQuote(f)).join(' ') + ']';
  for (const child of node.children) str += '(' + dumpAst(child) + ')\n';
  for (const arg of node.next) str += ' ' + goQuote(arg.value);
  // Upstream keeps ONBUILD's instruction as the children of an argument node;
  // that node dumps as "(<nested dump>)".
  if (node.sub) str += ' (' + dumpAst(node.sub) + ')';
  return trimSpace(str);
}
