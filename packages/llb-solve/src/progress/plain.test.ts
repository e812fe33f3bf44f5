import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SolveStatus, VertexEvent } from './events.ts';
import { PlainRenderer } from './plain.ts';

function render(events: SolveStatus[], opts: { explain?: boolean } = {}, close = true): string {
  let out = '';
  const r = new PlainRenderer((s) => (out += s), opts);
  for (const e of events) r.update(e);
  if (close) r.close();
  return out;
}
/** Log lines carry the time since the step started: replace it by T. */
const norm = (s: string) => s.replace(/^(#\d+) \d+\.\d+ /gm, '$1 T ');
const b64 = (s: string) => Buffer.from(s).toString('base64');

const T0 = '2024-01-01T00:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const v = (digest: string, name: string, extra: Partial<VertexEvent> = {}): SolveStatus => ({ vertexes: [{ digest, name, inputs: [], ...extra }] });
const log = (vertex: string, data: string, stream: 1 | 2 = 1): SolveStatus => ({ logs: [{ vertex, stream, data: b64(data), timestamp: T0 }] });

// [name, events, exact output]
const CASES: [string, SolveStatus[], string][] = [
  ['nothing', [], ''],
  ['a vertex that has not started prints nothing', [v('d1', 'pending')], ''],
  ['started', [v('d1', '[1/2] FROM busybox', { started: T0 })], '\n#1 [1/2] FROM busybox\n'],
  ['started then done', [v('d1', 'step', { started: T0 }), v('d1', 'step', { started: T0, completed: at(1200) })], '\n#1 step\n#1 DONE 1.2s\n'],
  ['done in no time', [v('d1', 'step', { started: T0, completed: T0 })], '\n#1 step\n#1 DONE 0.0s\n'],
  ['long step', [v('d1', 'step', { started: T0 }), v('d1', 'step', { started: T0, completed: at(83_400) })], '\n#1 step\n#1 DONE 83.4s\n'],
  ['cached', [v('d1', 'COPY a b', { started: T0, completed: T0, cached: true })], '\n#1 COPY a b\n#1 CACHED\n'],
  ['cached without times', [v('d1', 'COPY a b', { cached: true, completed: T0 })], '\n#1 COPY a b\n#1 CACHED\n'],
  ['done printed once', [v('d1', 's', { started: T0, completed: at(100) }), v('d1', 's', { started: T0, completed: at(900) })], '\n#1 s\n#1 DONE 0.1s\n'],
  [
    'numbered in first-print order, header again when switching',
    [
      v('b', 'second', { started: T0 }),
      v('a', 'first', { started: T0 }),
      v('b', 'second', { started: T0, completed: at(500) }),
      v('a', 'first', { started: T0, completed: at(2000) }),
      v('c', 'third', { started: T0, completed: T0, cached: true }),
    ],
    '\n#1 second\n\n#2 first\n\n#1 second\n#1 DONE 0.5s\n\n#2 first\n#2 DONE 2.0s\n\n#3 third\n#3 CACHED\n',
  ],
  [
    'error',
    [v('d1', 'RUN false', { started: T0 }), v('d1', 'RUN false', { started: T0, completed: at(300), error: 'process "/bin/sh -c false" did not complete successfully: exit code: 1' })],
    '\n#1 RUN false\n#1 ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1\n------\n > RUN false:\n------\n',
  ],
  ['status with a total', [v('d1', 'pull', { started: T0 }), { statuses: [{ id: 'sha256:abc', vertex: 'd1', name: 'sha256:abc', current: 5, total: 10, timestamp: T0 }] }], '\n#1 pull\n#1 sha256:abc 5 / 10\n'],
  ['status done', [v('d1', 'pull', { started: T0 }), { statuses: [{ id: 'x', vertex: 'd1', name: 'extracting', current: 3, timestamp: T0, completed: T0 }] }], '\n#1 pull\n#1 extracting done\n'],
  ['status for an unknown vertex is dropped', [{ statuses: [{ id: 'x', vertex: 'zz', name: 'x', current: 1, timestamp: T0 }] }], ''],
  ['log for an unknown vertex is dropped', [log('zz', 'hello\n')], ''],
  ['cache miss is not shown without explain', [v('d1', 's', { started: T0, reason: 'file a changed' })], '\n#1 s\n'],
];

for (const [name, events, want] of CASES) {
  test(`plain: ${name}`, () => {
    assert.is(render(events), want);
  });
}

test('plain: explain prints why a step missed the cache', () => {
  const out = render([v('d1', 'COPY . /app', { started: T0, reason: 'file /app/main.go changed' }), v('d1', 'COPY . /app', { started: T0, reason: 'x', completed: at(100) })], { explain: true });
  assert.is(out, '\n#1 COPY . /app\n#1 cache miss: file /app/main.go changed\n#1 DONE 0.1s\n');
});

// log lines: the step starts now so the printed time is small
const now = () => new Date().toISOString();

// [name, chunks on stream 1 (or [stream, data]), expected normalised output after "\n#1 step\n"]
const LOGS: [string, (string | [1 | 2, string])[], string][] = [
  ['one line', ['hello\n'], '#1 T hello\n'],
  ['two lines in one chunk', ['a\nb\n'], '#1 T a\n#1 T b\n'],
  ['partial lines are joined', ['hel', 'lo\nwor', 'ld\n'], '#1 T hello\n#1 T world\n'],
  ['a chunk that is only a newline', ['abc', '\n'], '#1 T abc\n'],
  ['CRLF endings are dropped', ['a\r\nb\r\n'], '#1 T a\n#1 T b\n'],
  ['empty lines are kept', ['a\n\nb\n'], '#1 T a\n#1 T \n#1 T b\n'],
  ['an unfinished line waits', ['no newline yet'], ''],
  ['streams are joined separately', [[1, 'out-'], [2, 'err-'], [1, 'one\n'], [2, 'two\n']], '#1 T out-one\n#1 T err-two\n'],
  ['unicode', ['héllo 😀\n'], '#1 T héllo 😀\n'],
];

for (const [name, chunks, want] of LOGS) {
  test(`plain logs: ${name}`, () => {
    const events: SolveStatus[] = [v('d1', 'step', { started: now() })];
    for (const c of chunks) events.push(typeof c === 'string' ? log('d1', c) : log('d1', c[1], c[0]));
    const out = render(events);
    assert.is(norm(out), `\n#1 step\n${want}`);
    for (const line of out.split('\n').filter((l) => /^#1 \d/.test(l))) assert.match(line, /^#1 0\.\d{3} /);
  });
}

test('plain logs: unfinished lines are printed when the step completes', () => {
  const started = now();
  const out = render([
    v('d1', 'step', { started }),
    log('d1', 'first\nsecond'),
    log('d1', 'on stderr', 2),
    v('d1', 'step', { started, completed: new Date(Date.parse(started) + 400).toISOString() }),
  ]);
  assert.is(norm(out), '\n#1 step\n#1 T first\n#1 T second\n#1 T on stderr\n#1 DONE 0.4s\n');
});

test('plain logs: interleaved steps get headers again', () => {
  const started = now();
  const out = render([v('a', 'A', { started }), v('b', 'B', { started }), log('a', 'from a\n'), log('b', 'from b\n'), log('b', 'more b\n'), log('a', 'more a\n')]);
  assert.is(norm(out), '\n#1 A\n\n#2 B\n\n#1 A\n#1 T from a\n\n#2 B\n#2 T from b\n#2 T more b\n\n#1 A\n#1 T more a\n');
});

test('plain logs: time has 3 decimals under 10s, 2 under 100s, 1 above', () => {
  const cases: [number, RegExp][] = [
    [0, /^#1 0\.\d{3} x$/m],
    [15_000, /^#1 15\.\d{2} x$/m],
    [150_000, /^#1 150\.\d x$/m],
  ];
  for (const [ago, re] of cases) {
    const out = render([v('d1', 's', { started: new Date(Date.now() - ago).toISOString() }), log('d1', 'x\n')]);
    assert.match(out, re);
  }
});

test('plain: the error summary shows the last 10 log lines of each failed step', () => {
  const started = now();
  const lines = Array.from({ length: 13 }, (_, i) => `line ${i + 1}`);
  const out = render([
    v('ok', 'good step', { started }),
    v('bad', 'RUN make', { started }),
    log('ok', 'fine\n'),
    log('bad', `${lines.join('\n')}\n`),
    v('bad', 'RUN make', { started, completed: started, error: 'exit code: 2' }),
    v('bad2', 'RUN test', { started }),
    log('bad2', 'assertion failed'),
    v('bad2', 'RUN test', { started, completed: started, error: 'exit code: 1' }),
    v('ok', 'good step', { started, completed: started }),
  ]);
  const summary = out.slice(out.indexOf('------'));
  assert.is(
    summary,
    `------\n > RUN make:\n${lines.slice(3).join('\n')}\n------\n------\n > RUN test:\nassertion failed\n------\n`,
  );
  assert.match(out, /^#2 ERROR: exit code: 2$/m);
  assert.match(out, /^#3 \d+\.\d+ assertion failed$/m);
  assert.match(out, /^#3 ERROR: exit code: 1$/m);
  assert.match(out, /^#1 DONE 0\.0s$/m);
});

test('plain: close without failures prints nothing more', () => {
  let out = '';
  const r = new PlainRenderer((s) => (out += s));
  r.update(v('d1', 's', { started: T0, completed: T0 }));
  const before = out;
  r.close();
  assert.is(out, before);
});

test.run();
