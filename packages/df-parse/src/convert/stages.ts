// Splits the instruction list into global ARGs and stages and finds stages by
// name or index. (Stages are converted lazily from the target, so stages it
// does not need add no ops.)
import type { Node } from '../parser/index.ts';

export type Stage = { name: string; index: number; from: Node; body: Node[] };
export type Split = { globalArgs: Node[]; stages: Stage[] };

export function splitStages(children: Node[], fail: (n: Node, msg: string) => never): Split {
  const globalArgs: Node[] = [];
  const stages: Stage[] = [];
  for (const n of children) {
    if (n.value === 'from') {
      const words = n.next.map((x) => x.value);
      let name = '';
      if (words.length === 3 && words[1].toLowerCase() === 'as') name = words[2].toLowerCase();
      else if (words.length !== 1) fail(n, 'FROM requires either one or three arguments: FROM <image> [AS <name>]');
      if (name && !/^[a-z][a-z0-9-_.]*$/.test(name)) fail(n, `invalid name for build stage: ${JSON.stringify(name)}, name can't start with a number or contain symbols`);
      if (name && stages.some((s) => s.name === name)) fail(n, `duplicate stage name ${JSON.stringify(name)}`);
      stages.push({ name, index: stages.length, from: n, body: [] });
    } else if (stages.length === 0) {
      if (n.value !== 'arg') fail(n, `no build stage in current context: ${n.value.toUpperCase()} must come after FROM`);
      globalArgs.push(n);
    } else stages[stages.length - 1].body.push(n);
  }
  if (stages.length === 0) fail(children[0] ?? ({ startLine: 1 } as Node), 'the Dockerfile has no FROM instruction');
  return { globalArgs, stages };
}

/** Stage referenced by `name` (a stage name or index), if any. */
export function findStage(stages: Stage[], name: string, before: number): Stage | undefined {
  const lower = name.toLowerCase();
  const byName = stages.find((s) => s.name !== '' && s.name === lower && s.index < before);
  if (byName) return byName;
  if (/^\d+$/.test(name) && Number(name) < before) return stages[Number(name)];
  return undefined;
}
