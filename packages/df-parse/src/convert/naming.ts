// Progress names as BuildKit builds them: `[stage i/n] CMD args`, where n counts
// the steps that make vertices (FROM of an image, ADD, COPY, RUN, WORKDIR).
import type { Node } from '../parser/index.ts';
import type { Stage } from './stages.ts';

const COUNTED = new Set(['add', 'copy', 'run', 'workdir']);

export class StepNamer {
  private total: number;
  private i = 0;
  private label: string;
  constructor(stage: Stage, fromImage: boolean, singleStage: boolean) {
    this.total = stage.body.filter((n) => COUNTED.has(n.value)).length + (fromImage ? 1 : 0);
    this.label = singleStage ? '' : `${stage.name || `stage-${stage.index}`} `;
  }

  next(text: string): string {
    this.i++;
    const width = String(this.total).length;
    return `[${this.label}${String(this.i).padStart(width)}/${this.total}] ${text}`;
  }
}

/** The instruction as written, keyword upper-cased, continuation lines joined. */
export function commandText(n: Node): string {
  const orig = n.original.replace(/\\\r?\n/g, '').replace(/\s+/g, ' ').trim();
  const sp = orig.search(/\s/);
  return sp < 0 ? orig.toUpperCase() : `${orig.slice(0, sp).toUpperCase()}${orig.slice(sp)}`;
}
