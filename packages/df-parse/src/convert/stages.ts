// Splits the instruction list into global ARGs and stages. Stages are converted
// lazily from the target, so stages it does not reach add nothing to the graph
// and their base images are never resolved.
import type { Node } from '../parser/index.ts';

export type Stage = { name: string; index: number; from: Node; body: Node[] };
export type Split = { globalArgs: Node[]; stages: Stage[] };

export function splitStages(children: Node[], fail: (n: Node, msg: string, hint?: string) => never): Split {
  const globalArgs: Node[] = [];
  const stages: Stage[] = [];
  for (const n of children) {
    if (n.value === 'from') {
      const words = n.next.map((x) => x.value);
      let name = '';
      if (words.length === 3 && words[1].toLowerCase() === 'as') name = words[2].toLowerCase();
      else if (words.length !== 1) fail(n, 'FROM requires either one or three arguments', 'write FROM <image> [AS <name>]');
      if (name && !/^[a-z][a-z0-9-_.]*$/.test(name)) fail(n, `invalid name for build stage: ${JSON.stringify(name)}, name can't start with a number or contain symbols`);
      if (name && stages.some((s) => s.name === name)) fail(n, `duplicate stage name ${JSON.stringify(name)}`, 'stage names must be unique');
      stages.push({ name, index: stages.length, from: n, body: [] });
    } else if (stages.length === 0) {
      if (n.value !== 'arg') fail(n, `no build stage in current context: ${n.value.toUpperCase()} must come after FROM`, 'only ARG may come before the first FROM');
      globalArgs.push(n);
    } else stages[stages.length - 1].body.push(n);
  }
  if (stages.length === 0) fail(children[0] ?? ({ startLine: 1 } as Node), 'the Dockerfile has no FROM instruction', 'every build needs at least one FROM');
  return { globalArgs, stages };
}

/** An earlier stage named (or numbered) `name`, as FROM may use. */
export function findStage(stages: Stage[], name: string, before: number): Stage | undefined {
  const lower = name.toLowerCase();
  return stages.find((s) => s.name !== '' && s.name === lower && s.index < before);
}
