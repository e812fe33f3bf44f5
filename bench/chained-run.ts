// 30 chained `RUN echo` steps without cache: cost per step, against the floor
// (a bare start of one such step by the OCI runtime, same spec, from a plain
// rootfs; runc's too when the runtime is crun), and
// BuildKit's for the same Dockerfile in the same run when docker is here.
import process from 'node:process';
import { ociRuntime, ociRuntimeNamed } from '../packages/wire/src/index.ts';
import { BUILDKIT_NOT_MEASURED, buildkitBuild, buildkitCleanup, busyboxDir, dockerAvailable, median, ratio, report, tempDir, timed } from './lib.ts';
import { runtimeFloor } from './runtime-floor.ts';

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
const fmt = (xs: number[]) => `${median(xs).toFixed(3)}  (${xs.map((x) => x.toFixed(1)).join(' ')})`;
/** Five rounds of a no-cache build then a cached one: totals, and per step in ms. */
function rounds(noCacheBuild: () => number, cachedBuild: () => number) {
  const totals: number[] = [];
  const cached: number[] = [];
  const perStep: number[] = [];
  for (let round = 0; round < 5; round++) {
    totals.push(noCacheBuild());
    cached.push(cachedBuild());
    perStep.push(((totals[round] - cached[round]) / steps) * 1000);
  }
  return { totals, cached, perStep };
}
const ours = rounds(
  () => timed(`llb-solve --store ${store} --progress quiet --no-cache ${graph} > /dev/null`, ctx),
  () => timed(`llb-solve --store ${store} --progress quiet ${graph} > /dev/null`, ctx),
);
const figures: Record<string, string | number> = {
  'no cache, total (s)': median(ours.totals),
  'no cache, per step (ms)': fmt(ours.perStep),
  'cached solve, total (s)': median(ours.cached),
};
if (process.getuid?.() === 0) {
  const rt = ociRuntime();
  figures['OCI runtime'] = rt.name + (rt.hybrid ? ' (in a mount namespace without the hybrid cgroup2 mount)' : '');
  const floor = await runtimeFloor(rt, 30);
  figures[`${rt.name} floor, per step (ms)`] = `${floor.toFixed(3)}  (bare ${rt.name} run, median of 30)`;
  figures['  of which the seccomp profile (ms)'] = floor - (await runtimeFloor(rt, 30, { seccomp: false }));
  figures['ours over the floor, per step (ms)'] = median(ours.perStep) - floor;
  if (rt.name !== 'runc') {
    // runc compiles the profile at every start: the floor of a runc builder (BuildKit's)
    figures['runc floor, per step (ms)'] = `${(await runtimeFloor(ociRuntimeNamed('runc'), 30)).toFixed(3)}  (bare runc run, median of 30)`;
  }
}
if (dockerAvailable()) {
  buildkitBuild(ctx); // warm, as ours
  const bk = rounds(
    () => buildkitBuild(ctx, { noCache: true }),
    () => buildkitBuild(ctx),
  );
  buildkitCleanup();
  Object.assign(figures, {
    'BuildKit no cache, total (s)': median(bk.totals),
    'BuildKit no cache, per step (ms)': fmt(bk.perStep),
    'BuildKit cached, total (s)': median(bk.cached),
    'ours/BuildKit, no cache total': ratio(median(ours.totals), median(bk.totals)),
    'ours/BuildKit, per step': ratio(median(ours.perStep), median(bk.perStep)),
    'ours/BuildKit, cached': ratio(median(ours.cached), median(bk.cached)),
  });
} else figures['BuildKit'] = BUILDKIT_NOT_MEASURED;
report(`${steps} chained RUN steps (median of 5 rounds)`, figures);
