import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Progress, type Renderer, type SolveStatus, type VertexEvent } from './events.ts';
import { PlainRenderer } from './plain.ts';

class Recorder implements Renderer {
  events: SolveStatus[] = [];
  closed = 0;
  update(s: SolveStatus): void {
    this.events.push(JSON.parse(JSON.stringify(s)));
  }
  close(): void {
    this.closed++;
  }
  get vertexes(): VertexEvent[] {
    return this.events.flatMap((e) => e.vertexes ?? []);
  }
  get logs(): string[] {
    return this.events.flatMap((e) => e.logs ?? []).map((l) => Buffer.from(l.data, 'base64').toString('utf8'));
  }
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const bytes = (s: string) => new TextEncoder().encode(s);

test('start, done: one vertex event each, state carried over', () => {
  const r = new Recorder();
  const p = new Progress(r);
  p.start('d1', '[1/3] RUN make', ['d0']);
  p.done('d1');
  const [a, b] = r.vertexes;
  assert.is(a.digest, 'd1');
  assert.is(a.name, '[1/3] RUN make');
  assert.equal(a.inputs, ['d0']);
  assert.match(a.started!, ISO);
  assert.is(a.completed, undefined);
  assert.is(b.name, '[1/3] RUN make', 'done keeps the name');
  assert.equal(b.inputs, ['d0']);
  assert.is(b.started, a.started);
  assert.match(b.completed!, ISO);
  assert.ok(Date.parse(b.completed!) >= Date.parse(a.started!));
});

test('cached: started and completed at once', () => {
  const r = new Recorder();
  const p = new Progress(r);
  p.cached('d1', 'COPY . .', []);
  const [e] = r.vertexes;
  assert.is(e.cached, true);
  assert.is(e.started, e.completed);
  assert.match(e.started!, ISO);
});

test('fail and explain carry their text; a vertex never seen gets its digest as name', () => {
  const r = new Recorder();
  const p = new Progress(r);
  p.fail('zz', 'boom');
  p.explain('yy', 'file a changed');
  const [f, x] = r.vertexes;
  assert.equal([f.digest, f.name, f.error], ['zz', 'zz', 'boom']);
  assert.match(f.completed!, ISO);
  assert.equal([x.digest, x.name, x.reason], ['yy', 'yy', 'file a changed']);
});

test('fail with a name: a step that never started is named; a started one keeps its name', () => {
  const r = new Recorder();
  const p = new Progress(r);
  p.fail('k1', 'canceled', '[1/1] COPY . /ctx/', ['d0']);
  p.start('s1', '[2/2] RUN make', ['k1']);
  p.fail('s1', 'exit code: 2', 'other name', []);
  const [k, , s] = r.vertexes;
  assert.equal([k.name, k.inputs, k.error, k.started], ['[1/1] COPY . /ctx/', ['d0'], 'canceled', undefined]);
  assert.equal([s.name, s.inputs, s.error], ['[2/2] RUN make', ['k1'], 'exit code: 2']);
});

test('log data is base64 of the text; status events', () => {
  const r = new Recorder();
  const p = new Progress(r);
  p.log('d1', 2, bytes('héllo\n'));
  p.status('d1', 'sha256:abc', 5, 10);
  p.status('d1', 'extract', 3, undefined, true);
  const l = r.events[0].logs![0];
  assert.equal([l.vertex, l.stream, l.data], ['d1', 2, Buffer.from('héllo\n').toString('base64')]);
  assert.match(l.timestamp, ISO);
  const [s1, s2] = [r.events[1].statuses![0], r.events[2].statuses![0]];
  assert.equal([s1.id, s1.vertex, s1.name, s1.current, s1.total, s1.completed], ['sha256:abc', 'd1', 'sha256:abc', 5, 10, undefined]);
  assert.equal([s2.id, s2.current, s2.total], ['extract', 3, undefined]);
  assert.match(s2.completed!, ISO);
  assert.is(s2.completed, s2.timestamp);
});

test('close closes the renderer', () => {
  const r = new Recorder();
  new Progress(r).close();
  assert.is(r.closed, 1);
});

// [masks, log text, expected]
const MASK_LOGS: [string[], string, string][] = [
  [['s3cret'], 'token=s3cret\n', 'token=****\n'],
  [['s3cret'], 's3cret s3cret\ns3cret', '**** ****\n****'],
  [['s3cret'], 'nothing here\n', 'nothing here\n'],
  [['s3cret'], 'S3CRET is another string\n', 'S3CRET is another string\n'],
  [['a', 'b'], 'abc\n', '********c\n'],
  [['p@ss.w*rd'], 'pw: p@ss.w*rd\n', 'pw: ****\n'],
  [['ünï'], 'x ünï y\n', 'x **** y\n'],
  [['line1\nline2'], 'line1\nline2\n', '****\n'],
  [['', 'tok'], 'tok and empty\n', '**** and empty\n'],
  [[], 'tok\n', 'tok\n'],
];

for (const [masks, text, want] of MASK_LOGS) {
  test(`mask(${JSON.stringify(masks)}) in logs: ${JSON.stringify(text)}`, () => {
    const r = new Recorder();
    const p = new Progress(r);
    p.mask(masks);
    p.log('d1', 1, bytes(text));
    assert.equal(r.logs, [want]);
  });
}

test('mask replaces secrets in names and errors and reasons', () => {
  const r = new Recorder();
  const p = new Progress(r);
  p.mask(['hunter2']);
  p.start('d1', 'RUN echo hunter2', []);
  p.cached('d2', 'RUN --mount=x curl -u me:hunter2 x', []);
  p.fail('d1', 'process "echo hunter2" failed');
  p.explain('d3', 'arg hunter2 changed');
  const texts = r.vertexes.map((v) => `${v.name}|${v.error ?? ''}|${v.reason ?? ''}`);
  assert.equal(texts, ['RUN echo ****||', 'RUN --mount=x curl -u me:**** x||', 'RUN echo ****|process "echo ****" failed|', 'd3||arg **** changed']);
  for (const t of texts) assert.not.ok(t.includes('hunter2'));
});

test('masks accumulate across calls and apply only to later events', () => {
  const r = new Recorder();
  const p = new Progress(r);
  p.log('d1', 1, bytes('one two\n'));
  p.mask(['one']);
  p.log('d1', 1, bytes('one two\n'));
  p.mask(['two']);
  p.log('d1', 1, bytes('one two\n'));
  assert.equal(r.logs, ['one two\n', '**** two\n', '**** ****\n']);
});

test('masked output through the plain renderer', () => {
  let out = '';
  const p = new Progress(new PlainRenderer((s) => (out += s)));
  p.mask(['TOPSECRET']);
  p.start('d1', 'RUN --mount=type=secret,id=t cat TOPSECRET', []);
  p.log('d1', 1, bytes('value is TOPSECRET\n'));
  p.fail('d1', 'failed with TOPSECRET');
  p.close();
  assert.not.ok(out.includes('TOPSECRET'), out);
  assert.match(out, /^#1 RUN --mount=type=secret,id=t cat \*\*\*\*$/m);
  assert.match(out, /^#1 \d+\.\d+ value is \*\*\*\*$/m);
  assert.match(out, /^#1 ERROR: failed with \*\*\*\*$/m);
  assert.match(out, /^ > RUN --mount=type=secret,id=t cat \*\*\*\*:\nvalue is \*\*\*\*\n------$/m);
});

test.run();
