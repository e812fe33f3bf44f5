// One joined instruction line -> one instruction node (keyword, flags, arguments).

import { parseArguments } from './line-parsers.ts';
import { makeNode, type Node } from './node.ts';
import { splitCommand } from './split-command.ts';
import { toLowerGo } from './text.ts';

export function parseInstruction(line: string, escapeToken: string): Node {
  const { cmd, flags, args } = splitCommand(line, escapeToken);
  const keyword = toLowerGo(cmd);
  const parsed = parseArguments(keyword, args, {
    escapeToken,
    parseInstruction: (rest) => parseInstruction(rest, escapeToken),
  });
  const node = makeNode({ value: keyword, original: line, flags, next: parsed.next, json: parsed.json });
  if (parsed.sub) node.sub = parsed.sub;
  return node;
}

const HEREDOC_INSTRUCTIONS = new Set(['add', 'copy', 'run']);

/** RUN/COPY/ADD (also inside ONBUILD) in non-JSON form may carry heredocs. */
export function canContainHeredoc(node: Node): boolean {
  const target = node.value === 'onbuild' && node.sub ? node.sub : node;
  return HEREDOC_INSTRUCTIONS.has(target.value) && !target.json;
}
