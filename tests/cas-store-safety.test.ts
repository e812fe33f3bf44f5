// Black-box: one store under stress. Four llb-solve processes building at once
// (sharing their first stage, so they race to commit identical layers), and a
// build killed with SIGKILL at several points: after each kill `cas-store
// fsck` finds no error, and the final rebuild is correct.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh, tempDir } from './helpers/cli.ts';
import { busyboxContext, executedSteps } from './helpers/busybox-context.ts';

type Image = { store: string; layers: { diffID: string; blob: { digest: string } }[] };

/** A file's content in the top layer of an image (layer tars are plain tar in the store). */
async function topFile(img: Image, file: string): Promise<string> {
  const top = img.layers[img.layers.length - 1];
  const r = await sh(`tar -xOf ${img.store}/blobs/sha256/${top.blob.digest.slice(7)} ${file}`);
  return r.stdout.toString();
}

async function fsckClean(store: string): Promise<void> {
  const r = await sh(`cas-store fsck --store ${store}`);
  const out = r.stdout.toString();
  assert.is(r.code, 0, `fsck: ${out}${r.stderr}`);
  assert.not.match(out, /^error:/m, out);
}

test('four builds at once on one store are all correct', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext('FROM bb\nARG WHO\nRUN echo "$WHO" > /who.txt && sleep 0.3\nRUN cat /who.txt /who.txt > /twice.txt');
  const run = (who: string) => sh(`df-parse Dockerfile --store ${store} --build-arg WHO=${who} | llb-solve --store ${store} --progress quiet`, { cwd: ctx });
  const results = await Promise.all(['a', 'b', 'c', 'd'].map(run));
  const images: Image[] = [];
  for (const r of results) {
    assert.is(r.code, 0, r.stderr);
    images.push(JSON.parse(r.stdout.toString()));
  }
  for (const [i, who] of ['a', 'b', 'c', 'd'].entries()) {
    assert.is(await topFile(images[i], 'twice.txt'), `${who}\n${who}\n`);
  }
  // the shared first stage is one set of layers, whoever committed it
  const base = images.map((img) => img.layers.slice(0, 2).map((l) => l.diffID).join());
  assert.is(new Set(base).size, 1);
  await fsckClean(store);
  const again = await sh(`df-parse Dockerfile --store ${store} --build-arg WHO=c | llb-solve --store ${store} --progress rawjson`, { cwd: ctx });
  assert.is(again.code, 0, again.stderr);
  assert.equal(executedSteps(again.stderr), [], 'everything cached after the concurrent builds');
});

test('SIGKILL at several points leaves a store that fsck passes and the next build uses', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext([
    'FROM bb',
    'RUN for i in 1 2 3 4 5 6 7 8; do echo $i > /f$i; done; sleep 0.4',
    'RUN --mount=type=cache,target=/c dd if=/dev/zero of=/big bs=1M count=16 2>/dev/null && echo x >> /c/log',
    'COPY a.txt /a.txt',
    'RUN sleep 0.4; cat /a.txt /f8 > /b.txt',
  ].join('\n'), { 'a.txt': 'hello\n' });
  const graph = path.join(await tempDir('graph'), 'graph.ndjson');
  const g = await sh(`df-parse Dockerfile --store ${store} > ${graph}`, { cwd: ctx });
  assert.is(g.code, 0, g.stderr);
  const log = path.join(path.dirname(graph), 'progress.log');
  // kill points: while a step's container runs, while a 16 MB layer is committed, and at fixed times
  const waits = ['until grep -q "RUN sleep 0.4; cat" LOG; do sleep 0.05; done; sleep 0.2', 'until grep -q "dd if=/dev/zero" LOG; do sleep 0.05; done; sleep 0.3',
    'sleep 0.5', 'sleep 1.5', 'sleep 2.5', 'sleep 3.5', 'sleep 4.5'];
  for (const wait of waits) {
    // its own process group, so the kill reaches every process of the build (runtime wrapper, runc)
    const r = await sh(`setsid llb-solve --store ${store} --progress plain ${graph} >/dev/null 2>${log} & pid=$!; ${wait.replaceAll('LOG', log)}; kill -KILL -- -$pid 2>/dev/null; wait $pid; true`);
    assert.is(r.code, 0);
    await fsckClean(store);
    if (wait.startsWith('until')) await fs.rm(path.join(store, 'cache'), { recursive: true, force: true }); // start over: the next kill hits a step again
  }
  const final = await sh(`llb-solve --store ${store} --progress rawjson ${graph}`);
  assert.is(final.code, 0, final.stderr);
  const img = JSON.parse(final.stdout.toString()) as Image;
  assert.is(await topFile(img, 'b.txt'), 'hello\n8\n');
  await fsckClean(store);
  // nothing of the killed builds is left running or mounted
  const mounts = await fs.readFile('/proc/self/mountinfo', 'utf8');
  assert.not.ok(mounts.includes(store), 'no mounts left under the store');
  const tmp = await fs.readdir(path.join(store, 'tmp'));
  assert.equal(tmp, [], `no temp leftovers: ${tmp.join(', ')}`);
});

test.run();
