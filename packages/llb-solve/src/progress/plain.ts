// BuildKit's plain printer: `#N name`, `#N 0.245 log line`, `#N DONE 1.2s`,
// `#N CACHED`, `#N ERROR: ...`, numbered in first-print order.
import { StringDecoder } from 'node:string_decoder';
import type { Renderer, SolveStatus, VertexEvent } from './events.ts';

type State = { n: number; start: number; partial: Map<number, string>; decoders: Map<number, StringDecoder>; lastLogs: string[]; printedDone: boolean; name: string };

export class PlainRenderer implements Renderer {
  private write: (s: string) => void;
  private states = new Map<string, State>();
  private next = 1;
  private current = '';
  private failed: State[] = [];
  private explain: boolean;
  constructor(write: (s: string) => void, opts: { explain?: boolean } = {}) {
    this.write = write;
    this.explain = opts.explain ?? false;
  }

  private state(v: { digest: string; name?: string }): State {
    let st = this.states.get(v.digest);
    if (!st) {
      st = { n: this.next++, start: Date.now(), partial: new Map(), decoders: new Map(), lastLogs: [], printedDone: false, name: v.name ?? v.digest };
      this.states.set(v.digest, st);
      this.write(`\n#${st.n} ${st.name}\n`);
      this.current = v.digest;
    }
    return st;
  }

  private header(digest: string, st: State): void {
    if (this.current !== digest) {
      this.write(`\n#${st.n} ${st.name}\n`);
      this.current = digest;
    }
  }

  private vertex(v: VertexEvent): void {
    if (!v.started && !v.cached) return;
    const st = this.state(v);
    if (v.started) st.start = Date.parse(v.started) || st.start;
    if (this.explain && v.reason && !v.completed) {
      this.header(v.digest, st);
      this.write(`#${st.n} cache miss: ${v.reason}\n`);
    }
    if (!v.completed || st.printedDone) return;
    this.header(v.digest, st);
    for (const [stream, rest] of st.partial) if (rest) this.logLine(st, rest), st.partial.set(stream, '');
    st.printedDone = true;
    if (v.error) {
      this.write(`#${st.n} ERROR: ${v.error}\n`);
      this.failed.push(st);
    } else if (v.cached) this.write(`#${st.n} CACHED\n`);
    else this.write(`#${st.n} DONE ${((Date.parse(v.completed) - st.start) / 1000).toFixed(1)}s\n`);
  }

  private logLine(st: State, line: string): void {
    const secs = (Date.now() - st.start) / 1000;
    const t = secs < 10 ? secs.toFixed(3) : secs < 100 ? secs.toFixed(2) : secs.toFixed(1);
    this.write(`#${st.n} ${t} ${line}\n`);
    st.lastLogs.push(line);
    if (st.lastLogs.length > 10) st.lastLogs.shift();
  }

  update(s: SolveStatus): void {
    for (const v of s.vertexes ?? []) this.vertex(v);
    for (const l of s.logs ?? []) {
      const st = this.states.get(l.vertex);
      if (!st) continue;
      this.header(l.vertex, st);
      let dec = st.decoders.get(l.stream);
      if (!dec) st.decoders.set(l.stream, (dec = new StringDecoder('utf8')));
      const text = (st.partial.get(l.stream) ?? '') + dec.write(Buffer.from(l.data, 'base64'));
      const lines = text.split('\n');
      st.partial.set(l.stream, lines.pop() ?? '');
      for (const line of lines) this.logLine(st, line.replace(/\r$/, ''));
    }
    for (const s2 of s.statuses ?? []) {
      const st = this.states.get(s2.vertex);
      if (!st) continue;
      this.header(s2.vertex, st);
      const amount = s2.total ? ` ${s2.current} / ${s2.total}` : '';
      this.write(`#${st.n} ${s2.name}${amount}${s2.completed ? ' done' : ''}\n`);
    }
  }

  close(): void {
    for (const st of this.failed) {
      this.write(`------\n > ${st.name}:\n`);
      for (const l of st.lastLogs) this.write(`${l}\n`);
      this.write('------\n');
    }
  }
}
