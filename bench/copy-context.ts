// COPY . /ctx of a 20,000-file context: cold, unchanged, one file changed,
// added or removed; `cp -a` of the same context in the same run (the floor of
// a cold copy: the same files read and created on the same disk); and
// BuildKit's figures for the same context in the same run when docker is here.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { addSmallFiles, BUILDKIT_NOT_MEASURED, buildkitBuild, buildkitCleanup, buildkitPrune, busyboxDir, dockerAvailable, median, ratio, report, tempDir, timed } from './lib.ts';

const files = 20000;
const ctx = busyboxDir('FROM scratch\nCOPY . /ctx\n');
// the same COPY onto a base with a layer: written through an overlay mount
writeFileSync(path.join(ctx, 'Dockerfile.onbase'), 'FROM scratch AS base\nCOPY busybox /bin/busybox\nFROM base\nCOPY . /ctx\n');
addSmallFiles(ctx, files);
// a context is usually older than a second: llb-solve only remembers digests
// of files that have settled (a write in the same timestamp tick must not be missed)
await new Promise((r) => setTimeout(r, 1100));
// the disk here is noisy (writeback of earlier runs): three rounds, medians
const startup = timed(`df-parse Dockerfile > /dev/null`, ctx);
const cold: number[] = [];
const unchanged: number[] = [];
const oneChanged: number[] = [];
const oneAdded: number[] = [];
const oneRemoved: number[] = [];
const onBase: number[] = [];
const cpA: number[] = [];
/** A file added in one dir, then one removed from another. */
const addOne = (round: number, who: string) => writeFileSync(path.join(ctx, 'src', 'd9', `new-${who}-${round}.txt`), `added ${round}\n`);
const removeOne = (round: number, who: string) => rmSync(path.join(ctx, 'src', who === 'ours' ? 'd11' : 'd13', `f${round}.txt`));
for (let round = 0; round < 3; round++) {
  const base = tempDir('store');
  onBase.push(timed(`df-parse Dockerfile.onbase --store ${base} | llb-solve --store ${base} --progress quiet > /dev/null`, ctx));
  cpA.push(timed(`cp -a . ${tempDir('cp')}/ctx`, ctx));
  const store = tempDir('store');
  const pipe = `df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress quiet > /dev/null`;
  cold.push(timed(pipe, ctx));
  unchanged.push(timed(pipe, ctx));
  writeFileSync(path.join(ctx, 'src', 'd7', 'f3.txt'), `changed ${round}\n`);
  oneChanged.push(timed(pipe, ctx));
  addOne(round, 'ours');
  oneAdded.push(timed(pipe, ctx));
  removeOne(round, 'ours');
  oneRemoved.push(timed(pipe, ctx));
}
const fmt = (xs: number[]) => `${median(xs).toFixed(3)}  (${xs.map((x) => x.toFixed(2)).join(' ')})`;
const figures: Record<string, string | number> = {
  'cold (s)': fmt(cold),
  'cp -a of the context, same run (s)': fmt(cpA),
  'ours/cp -a, cold': ratio(median(cold), median(cpA)),
  'unchanged (s)': fmt(unchanged),
  'one file changed (s)': fmt(oneChanged),
  'one file added (s)': fmt(oneAdded),
  'one file removed (s)': fmt(oneRemoved),
  'cold, onto a base layer (s)': fmt(onBase),
  'df-parse alone, for reference (s)': startup,
};
if (dockerAvailable()) {
  const bk = { cold: [] as number[], unchanged: [] as number[], oneChanged: [] as number[], oneAdded: [] as number[], oneRemoved: [] as number[], onBase: [] as number[] };
  for (let round = 0; round < 3; round++) {
    // cold means an empty builder cache, context snapshots included
    buildkitPrune();
    bk.onBase.push(buildkitBuild(ctx, { dockerfile: 'Dockerfile.onbase' }));
    buildkitPrune();
    bk.cold.push(buildkitBuild(ctx));
    bk.unchanged.push(buildkitBuild(ctx));
    writeFileSync(path.join(ctx, 'src', 'd7', 'f3.txt'), `changed for BuildKit ${round}\n`);
    bk.oneChanged.push(buildkitBuild(ctx));
    addOne(round, 'buildkit');
    bk.oneAdded.push(buildkitBuild(ctx));
    removeOne(round, 'buildkit');
    bk.oneRemoved.push(buildkitBuild(ctx));
  }
  buildkitCleanup();
  Object.assign(figures, {
    'BuildKit cold (s)': fmt(bk.cold),
    'BuildKit unchanged (s)': fmt(bk.unchanged),
    'BuildKit one file changed (s)': fmt(bk.oneChanged),
    'BuildKit one file added (s)': fmt(bk.oneAdded),
    'BuildKit one file removed (s)': fmt(bk.oneRemoved),
    'BuildKit cold, onto a base layer (s)': fmt(bk.onBase),
    'ours/BuildKit, cold': ratio(median(cold), median(bk.cold)),
    'ours/BuildKit, unchanged': ratio(median(unchanged), median(bk.unchanged)),
    'ours/BuildKit, one file changed': ratio(median(oneChanged), median(bk.oneChanged)),
    'ours/BuildKit, one file added': ratio(median(oneAdded), median(bk.oneAdded)),
    'ours/BuildKit, one file removed': ratio(median(oneRemoved), median(bk.oneRemoved)),
    'ours/BuildKit, cold onto a base': ratio(median(onBase), median(bk.onBase)),
  });
} else figures['BuildKit'] = BUILDKIT_NOT_MEASURED;
report(`COPY . of ${files} files (median of 3 rounds)`, figures);
