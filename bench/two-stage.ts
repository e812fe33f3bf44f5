// The two-stage example (examples/two-stage): wall time against its 15 s
// critical path, and a fully cached rebuild of the whole pipe.
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { busyboxDir, dockerAvailable, report, ROOT, tempDir, timed } from './lib.ts';

const ctx = busyboxDir(readFileSync(path.join(ROOT, 'examples', 'two-stage', 'Dockerfile'), 'utf8'));
const store = tempDir('store');
const out = tempDir('out');
const pipe = `df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress quiet | export-oci --quiet --dest ${out}/img.tar`;
const cold = timed(pipe, ctx);
const cached = timed(pipe, ctx);
const figures: Record<string, string | number> = {
  'critical path (s)': 15,
  'cold build, whole pipe (s)': cold,
  'over critical path (s)': cold - 15,
  'cached rebuild, whole pipe (s)': cached,
};
if (dockerAvailable()) {
  copyFileSync('/bin/busybox', path.join(ctx, 'busybox'));
  figures['BuildKit cold (s)'] = timed('DOCKER_BUILDKIT=1 docker build --network=none -q --no-cache .', ctx);
} else figures['BuildKit'] = 'docker not available here';
report('two-stage example', figures);
