// ONBUILD triggers of a base (an image's config, or an earlier stage): each is
// parsed as a one-instruction Dockerfile and run first in the child stage, at
// the FROM line (BuildKit's dispatchOnBuildTriggers).
import { parseDockerfile, type Node } from '../parser/index.ts';
import type { Conv } from './context.ts';

export function parseTriggers(conv: Conv, from: Node, triggers: string[]): Node[] {
  return triggers.map((t) => {
    let parsed;
    try {
      parsed = parseDockerfile(t, { file: conv.opts.file });
    } catch (err) {
      return conv.fail(from, `ONBUILD trigger ${JSON.stringify(t)} of the base does not parse: ${(err as Error).message}`, { cause: err });
    }
    const kids = parsed.root.children;
    if (kids.length !== 1) conv.fail(from, 'onbuild trigger should be a single expression');
    const n = kids[0];
    if (['onbuild', 'from', 'maintainer'].includes(n.value)) conv.fail(from, `${n.value.toUpperCase()} isn't allowed as an ONBUILD trigger`);
    // errors in a trigger point at the FROM that ran it
    n.startLine = from.startLine;
    n.endLine = from.endLine;
    return n;
  });
}
