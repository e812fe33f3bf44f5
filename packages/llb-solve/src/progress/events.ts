// Progress is a stream of BuildKit-shaped SolveStatus events; every display
// mode renders this one stream, and `rawjson` prints it as it is.
export type VertexEvent = {
  digest: string;
  inputs: string[];
  name: string;
  started?: string;
  completed?: string;
  cached?: boolean;
  error?: string;
  /** why the step missed the cache (pipekit extension) */
  reason?: string;
};
export type LogEvent = { vertex: string; stream: 1 | 2; data: string /* base64 */; timestamp: string };
export type StatusEvent = { id: string; vertex: string; name: string; current: number; total?: number; timestamp: string; started?: string; completed?: string };
export type SolveStatus = { vertexes?: VertexEvent[]; statuses?: StatusEvent[]; logs?: LogEvent[] };

export interface Renderer {
  update(s: SolveStatus): void;
  /** called once at the end; may print summaries */
  close(): void;
}

/** Turns solver calls into events for a renderer. Keeps each vertex's state. */
export class Progress {
  private vertices = new Map<string, VertexEvent>();
  private renderer: Renderer;
  private masks: string[] = [];
  constructor(renderer: Renderer) {
    this.renderer = renderer;
  }

  /** Values (secrets) to replace by **** in every log and error this stream carries. */
  mask(values: string[]): void {
    this.masks.push(...values.filter((v) => v.length > 0));
    // longest first, so a secret that contains another is masked whole
    this.masks.sort((a, b) => b.length - a.length);
  }

  private redact(s: string): string {
    let out = s;
    for (const m of this.masks) out = out.split(m).join('****');
    return out;
  }

  private emit(digest: string, patch: Partial<VertexEvent>): void {
    const v = { ...(this.vertices.get(digest) ?? { digest, inputs: [], name: digest }), ...patch };
    this.vertices.set(digest, v);
    this.renderer.update({ vertexes: [v] });
  }

  start(digest: string, name: string, inputs: string[]): void {
    this.emit(digest, { name: this.redact(name), inputs, started: new Date().toISOString() });
  }

  cached(digest: string, name: string, inputs: string[]): void {
    const now = new Date().toISOString();
    this.emit(digest, { name: this.redact(name), inputs, started: now, completed: now, cached: true });
  }

  done(digest: string): void {
    this.emit(digest, { completed: new Date().toISOString() });
  }

  /** `name` and `inputs` name a step that failed before it started (while its cache key was computed). */
  fail(digest: string, err: string, name?: string, inputs?: string[]): void {
    const unstarted = !this.vertices.has(digest) && name !== undefined ? { name: this.redact(name), inputs: inputs ?? [] } : {};
    this.emit(digest, { ...unstarted, completed: new Date().toISOString(), error: this.redact(err) });
  }

  /** Say why a step missed the cache. */
  explain(digest: string, reason: string): void {
    this.emit(digest, { reason: this.redact(reason) });
  }

  log(digest: string, stream: 1 | 2, data: Uint8Array): void {
    // without masks the bytes pass untouched (a UTF-8 character may span chunks)
    const bytes = this.masks.length ? Buffer.from(this.redact(Buffer.from(data).toString('utf8'))) : Buffer.from(data);
    this.renderer.update({ logs: [{ vertex: digest, stream, data: bytes.toString('base64'), timestamp: new Date().toISOString() }] });
  }

  status(digest: string, id: string, current: number, total?: number, completed = false): void {
    const now = new Date().toISOString();
    this.renderer.update({ statuses: [{ id, vertex: digest, name: id, current, total, timestamp: now, ...(completed ? { completed: now } : {}) }] });
  }

  close(): void {
    this.renderer.close();
  }
}
