// The live terminal view, after BuildKit's: a `[+] Building 12.3s (8/10)` header,
// one line per step with its time, and the last log lines of running steps,
// redrawn in place and never taller than the terminal.
import type { Renderer, SolveStatus, VertexEvent } from './events.ts';

type Row = { v: VertexEvent; logs: string[]; partial: string };
export type TtyOptions = { write: (s: string) => void; rows: () => number; cols: () => number; color: boolean; now?: () => number; interval?: number };

const LOG_LINES = 6;

export class TtyRenderer implements Renderer {
  private rows = new Map<string, Row>();
  private printed = 0;
  private start: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private opts: TtyOptions;
  private now: () => number;
  constructor(opts: TtyOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.start = this.now();
    this.timer = setInterval(() => this.draw(false), opts.interval ?? 150);
    (this.timer as { unref?: () => void }).unref?.();
  }

  update(s: SolveStatus): void {
    for (const v of s.vertexes ?? []) {
      const row = this.rows.get(v.digest);
      if (row) row.v = v;
      else if (v.started || v.cached) this.rows.set(v.digest, { v, logs: [], partial: '' });
    }
    for (const l of s.logs ?? []) {
      const row = this.rows.get(l.vertex);
      if (!row) continue;
      const lines = (row.partial + Buffer.from(l.data, 'base64').toString('utf8')).split('\n');
      row.partial = lines.pop() ?? '';
      row.logs.push(...lines.map((x) => x.replace(/\r/g, '')));
      if (row.logs.length > LOG_LINES) row.logs.splice(0, row.logs.length - LOG_LINES);
    }
  }

  private paint(code: string, s: string): string {
    return this.opts.color ? `\x1b[${code}m${s}\x1b[0m` : s;
  }

  private secs(a?: string, b?: string): string {
    if (!a) return '';
    const end = b ? Date.parse(b) : this.now();
    return `${((end - Date.parse(a)) / 1000).toFixed(1)}s`;
  }

  /** The lines of one frame, fitted to the terminal. */
  frame(done: boolean): string[] {
    const width = Math.max(20, this.opts.cols());
    const all = [...this.rows.values()];
    const finished = all.filter((r) => r.v.completed).length;
    const elapsed = ((this.now() - this.start) / 1000).toFixed(1);
    const head = `[+] Building ${elapsed}s (${finished}/${all.length})${done ? ' FINISHED' : ''}`;
    const body: string[] = [];
    for (const r of all) {
      const state = r.v.error ? 'ERROR ' : r.v.cached ? 'CACHED ' : '';
      const t = r.v.cached ? '' : this.secs(r.v.started, r.v.completed);
      const name = ` => ${state}${r.v.name}`;
      const pad = Math.max(1, width - name.length - t.length);
      let line = name.length + t.length + 1 > width ? `${name.slice(0, width - t.length - 4)}...${t ? ` ${t}` : ''}` : `${name}${' '.repeat(pad)}${t}`;
      if (r.v.error) line = this.paint('31', line);
      else if (!r.v.completed) line = this.paint('34', line);
      body.push(line);
      if (!r.v.completed && !done) for (const l of r.logs) body.push(this.paint('2', ` => => # ${l}`.slice(0, width)));
    }
    // keep the newest rows when the terminal is too short
    const room = Math.max(1, this.opts.rows() - 2);
    return [this.paint('1', head), ...(body.length > room ? body.slice(body.length - room) : body)];
  }

  private draw(done: boolean): void {
    const lines = this.frame(done);
    let out = this.printed > 0 ? `\x1b[${this.printed}A` : '';
    for (const l of lines) out += `\x1b[2K${l}\n`;
    // clear what is left of a taller previous frame
    for (let i = lines.length; i < this.printed; i++) out += '\x1b[2K\n';
    const extra = Math.max(0, this.printed - lines.length);
    if (extra) out += `\x1b[${extra}A`;
    this.printed = lines.length;
    this.opts.write(out);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.draw(true);
    for (const r of this.rows.values()) {
      if (!r.v.error) continue;
      this.opts.write(`------\n > ${r.v.name}:\n${r.logs.map((l) => `${l}\n`).join('')}------\n`);
    }
  }
}
