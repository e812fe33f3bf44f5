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
const noCache = timed(`llb-solve --store ${store} --progress quiet --no-cache ${graph} > /dev/null`, ctx);
const cached = timed(`llb-solve --store ${store} --progress quiet ${graph} > /dev/null`, ctx);
report(`${steps} chained RUN steps`, {
  'no cache, total (s)': noCache,
  'no cache, per step (ms)': ((noCache - cached) / steps) * 1000,
  'cached solve, total (s)': cached,
});
