// A failed step, with where it came from: pretty() shows the Dockerfile lines
// around it the way BuildKit does, from the graph's source records.
import { BuildError, type SourceLocation, type SourceRecord } from '@pipekit/wire';

export class StepError extends BuildError {
  vertex: string;
  locations: SourceLocation[];
  sources: SourceRecord[];
  constructor(vertex: string, message: string, locations: SourceLocation[], sources: SourceRecord[], cause: unknown) {
    super(vertex ? `${vertex}: ${message}` : message, { cause });
    this.vertex = vertex;
    this.locations = locations;
    this.sources = sources;
  }

  pretty(): string {
    const out: string[] = [];
    for (const loc of this.locations) {
      const src = this.sources.find((s) => s.file === loc.file);
      if (!src) continue;
      const lines = src.data.split('\n');
      const from = Math.max(1, loc.startLine - 2);
      const to = Math.min(lines.length, loc.endLine + 2);
      out.push(`${loc.file}:${loc.startLine}`, '--------------------');
      for (let n = from; n <= to; n++) {
        const mark = n >= loc.startLine && n <= loc.endLine ? '>>>' : '   ';
        out.push(`${String(n).padStart(4)} | ${mark} ${lines[n - 1] ?? ''}`.trimEnd());
      }
      out.push('--------------------');
    }
    out.push(`failed to solve: ${this.message}`);
    return out.join('\n');
  }
}
