// export-oci's filesystem outputs (type=local, type=tar) of an image holding
// 20,000 small files, against GNU tar unpacking and packing the same tree in
// the same run (the baseline: the disk's own cost of making those files).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { addSmallFiles, median, ratio, report, tempDir, timed } from './lib.ts';

const files = 20000;
const ctx = tempDir('ctx');
writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY . /ctx\n');
addSmallFiles(ctx, files);
const store = tempDir('store');
const records = path.join(tempDir('records'), 'image.ndjson');
timed(`df-parse Dockerfile | llb-solve --store ${store} --progress quiet > ${records}`, ctx);
const out = tempDir('out');
const local: number[] = [];
const tar: number[] = [];
const tarX: number[] = [];
const tarC: number[] = [];
// the disk is noisy (writeback of earlier rounds): three rounds, medians
for (let round = 0; round < 3; round++) {
  local.push(timed(`export-oci -o type=local,dest=${out}/local-${round} < ${records}`, ctx));
  tar.push(timed(`export-oci -o type=tar,dest=${out}/fs-${round}.tar < ${records} > /dev/null`, ctx));
  tarX.push(timed(`mkdir ${out}/x-${round} && tar -C ${out}/x-${round} -xf ${out}/fs-${round}.tar`, ctx));
  tarC.push(timed(`tar -C ${out}/x-${round} -cf ${out}/c-${round}.tar .`, ctx));
}
const fmt = (xs: number[]) => `${median(xs).toFixed(3)}  (${xs.map((x) => x.toFixed(2)).join(' ')})`;
report(`filesystem outputs of ${files} files (median of 3 rounds)`, {
  'type=local (s)': fmt(local),
  'tar -x of the same tree (s)': fmt(tarX),
  'type=local / tar -x': ratio(median(local), median(tarX)),
  'type=tar (s)': fmt(tar),
  'tar -c of the same tree (s)': fmt(tarC),
  'type=tar / (tar -c)': ratio(median(tar), median(tarC)),
});
