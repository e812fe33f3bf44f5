// `--format dot`: the graph for Graphviz, one node per op labelled with its
// progress name (or what it does), edges from inputs to the ops using them.
import type { AnyRecord, OpRecord } from '@pipekit/wire';

function label(r: OpRecord): string {
  if (r.meta.name) return r.meta.name;
  const op = r.op;
  if (op.source) return op.source.identifier;
  if (op.exec) return op.exec.meta.args.join(' ');
  if (op.file) return op.file.actions.map((a) => (a.copy ? `copy ${a.copy.src} ${a.copy.dest}` : a.mkdir ? `mkdir ${a.mkdir.path}` : a.mkfile ? `mkfile ${a.mkfile.path}` : a.rm ? `rm ${a.rm.path}` : 'symlink')).join(', ');
  return op.merge ? 'merge' : 'diff';
}

const q = (s: string) => JSON.stringify(s);

export function toDot(records: AnyRecord[]): string {
  const lines = ['digraph {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];'];
  for (const r of records) {
    if (r.type === 'op') {
      const shape = r.op.source ? 'ellipse' : r.op.exec ? 'box' : 'note';
      lines.push(`  ${q(r.digest)} [label=${q(label(r))}, shape=${shape}];`);
      for (const i of r.op.inputs) lines.push(`  ${q(i.digest)} -> ${q(r.digest)};`);
    } else if (r.type === 'result') {
      const id = `result:${r.target}:${r.platform.os}/${r.platform.architecture}`;
      lines.push(`  ${q(id)} [label=${q(`result ${r.target || '(last stage)'} ${r.platform.os}/${r.platform.architecture}`)}, shape=doubleoctagon];`);
      if (r.input) lines.push(`  ${q(r.input.digest)} -> ${q(id)};`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
