// 30 chained `RUN echo` steps without cache: cost per step (runc floor ~29 ms).
import { busyboxDir, report, tempDir, timed } from './lib.ts';

const steps = 30;
const lines = ['FROM scratch', 'COPY busybox /bin/busybox'];
for (let i = 0; i < steps; i++) lines.push(`RUN ["/bin/busybox", "echo", "step ${i}"]`);
const ctx = busyboxDir(`${lines.join('\n')}\n`);
const store = tempDir('store');
const graph = `${ctx}/graph.ndjson`;
timed(`df-parse Dockerfile --store ${store} > ${graph}`, ctx);
// warm: base layers and the tool's own start-up caches
timed(`llb-solve --store ${store} --progress quiet ${graph} > /dev/null`, ctx);
// runc's start-up varies a lot here: five rounds, medians
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const perStep: number[] = [];
const totals: number[] = [];
const cachedRuns: number[] = [];
for (let round = 0; round < 5; round++) {
  const noCache = timed(`llb-solve --store ${store} --progress quiet --no-cache ${graph} > /dev/null`, ctx);
  const cached = timed(`llb-solve --store ${store} --progress quiet ${graph} > /dev/null`, ctx);
  totals.push(noCache);
  cachedRuns.push(cached);
  perStep.push(((noCache - cached) / steps) * 1000);
}
report(`${steps} chained RUN steps (median of 5 rounds)`, {
  'no cache, total (s)': median(totals),
  'no cache, per step (ms)': `${median(perStep).toFixed(3)}  (${perStep.map((x) => x.toFixed(1)).join(' ')})`,
  'cached solve, total (s)': median(cachedRuns),
});
