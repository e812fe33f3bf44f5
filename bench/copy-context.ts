// COPY . /ctx of a 20,000-file context: cold, unchanged, one file changed.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { busyboxDir, report, tempDir, timed } from './lib.ts';

const files = 20000;
const ctx = busyboxDir('FROM scratch\nCOPY . /ctx\n');
for (let d = 0; d < 200; d++) {
  const dir = path.join(ctx, 'src', `d${d}`);
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f < files / 200; f++) writeFileSync(path.join(dir, `f${f}.txt`), `file ${d}/${f}\n`);
}
const store = tempDir('store');
const pipe = `df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress quiet > /dev/null`;
const startup = timed(`df-parse Dockerfile --store ${store} > /dev/null`, ctx);
const cold = timed(pipe, ctx);
const unchanged = timed(pipe, ctx);
writeFileSync(path.join(ctx, 'src', 'd7', 'f3.txt'), 'changed\n');
const oneChanged = timed(pipe, ctx);
report(`COPY . of ${files} files`, {
  'cold (s)': cold,
  'unchanged (s)': unchanged,
  'one file changed (s)': oneChanged,
  'df-parse alone, for reference (s)': startup,
});
