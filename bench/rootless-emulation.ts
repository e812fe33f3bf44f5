// Issue 8's figures, as ratios from the same run:
//  - the two-stage example (examples/two-stage) rootless versus as root;
//  - 30 chained RUN steps under QEMU emulation (linux/arm64) versus native.
// Rootless runs as the user PIPEKIT_BENCH_USER (default pipekit-rl, created with
// subordinate ids by tests/rootless.test.ts or: useradd -m pipekit-rl &&
// usermod --add-subuids 300000-365535 --add-subgids 300000-365535 pipekit-rl).
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { busyboxDir, report, ROOT, tempDir, timed } from './lib.ts';

const user = process.env.PIPEKIT_BENCH_USER ?? 'pipekit-rl';
const bin = path.join(ROOT, 'node_modules', '.bin');

const two = busyboxDir(readFileSync(path.join(ROOT, 'examples', 'two-stage', 'Dockerfile'), 'utf8'));
chmodSync(two, 0o755);
const rootStore = tempDir('store');
const asRoot = timed(`df-parse Dockerfile --store ${rootStore} | llb-solve --store ${rootStore} --progress quiet > /dev/null`, two);
const rootless = timed(`su ${user} -s /bin/bash -c 'export PATH=${bin}:$PATH; cd ${two} && df-parse Dockerfile --store /tmp/bench-rl-$$ | llb-solve --store /tmp/bench-rl-$$ --progress quiet > /dev/null; rm -rf /tmp/bench-rl-$$ 2>/dev/null; true'`, two);

const steps = 30;
const arm = path.join(ROOT, '.cache', 'busybox-arm64');
const runs = (bb: string) => ['FROM scratch', `COPY ${bb} /bin/busybox`, ...Array.from({ length: steps }, (_, i) => `RUN ["/bin/busybox", "echo", "step ${i}"]`)].join('\n');
const ctx = busyboxDir(`${runs('busybox')}\n`);
copyFileSync(arm, path.join(ctx, 'busybox-arm64'));
const store = tempDir('store');
const chain = (platform: string, file: string) => {
  timed(`df-parse ${file} --platform ${platform} --store ${store} > ${file}.graph && llb-solve --store ${store} --progress quiet ${file}.graph > /dev/null`, ctx);
  return timed(`llb-solve --store ${store} --progress quiet --no-cache ${file}.graph > /dev/null`, ctx);
};
import('node:fs').then(({ writeFileSync }) => writeFileSync(path.join(ctx, 'Dockerfile.arm'), `${runs('busybox-arm64')}\n`));
await new Promise((r) => setTimeout(r, 50));
const native = chain('linux/amd64', 'Dockerfile');
const emulated = chain('linux/arm64', 'Dockerfile.arm');
report('rootless and emulation', {
  'two-stage as root (s)': asRoot,
  'two-stage rootless (s)': rootless,
  'rootless / root': rootless / asRoot,
  [`${steps} RUN native (s)`]: native,
  [`${steps} RUN emulated arm64 (s)`]: emulated,
  'emulated / native': emulated / native,
});
