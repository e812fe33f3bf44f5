// Black-box: bad input gives a clear error naming what and where, a non-zero
// exit, and nothing half-written in the store or at --dest.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listFiles, sh, tempDir } from './helpers/cli.ts';
import { startRegistry } from './helpers/registry.ts';

type Case = { name: string; dockerfile?: string; script: (d: { dir: string; store: string; dest: string }) => string; expect: RegExp };

async function checkClean(store: string, dest: string): Promise<void> {
  assert.equal((await listFiles(path.join(store, 'tmp'))), [], 'no temp files left in the store');
  const snaps = await fs.readdir(path.join(store, 'snapshots', 'tmp')).catch(() => []);
  assert.equal(snaps, [], 'no half-made snapshots');
  assert.not.ok(await fs.stat(dest).catch(() => undefined), 'nothing at --dest');
  const destDir = await fs.readdir(path.dirname(dest));
  assert.equal(destDir.filter((f) => f.includes('.tmp')), [], 'no temp file beside --dest');
  const mounts = await fs.readFile('/proc/self/mounts', 'utf8');
  assert.not.ok(mounts.includes(store), 'no mount left behind');
}

async function runCase(c: Case): Promise<void> {
  const dir = await tempDir('err');
  const store = path.join(dir, 'store');
  const dest = path.join(dir, 'out', 'image.tar');
  await fs.mkdir(path.dirname(dest), { recursive: true });
  if (c.dockerfile !== undefined) await fs.writeFile(path.join(dir, 'Dockerfile'), c.dockerfile);
  const res = await sh(c.script({ dir, store, dest }), { cwd: dir });
  assert.ok(res.code !== 0, `exit code is non-zero (${res.code})`);
  const first = res.stderr.split('\n').find((l) => /^(df-parse|llb-solve|export-oci): /.test(l)) ?? '';
  assert.match(first, c.expect, `stderr was:\n${res.stderr}`);
  await checkClean(store, dest);
}

const pipe = (d: { store: string; dest: string }, file = 'Dockerfile') =>
  `df-parse ${file} --store ${d.store} | llb-solve --store ${d.store} --progress plain | export-oci --dest ${d.dest}`;

const cases: Case[] = [
  { name: 'missing Dockerfile', script: (d) => pipe(d, 'nope/Dockerfile'), expect: /^df-parse: cannot read Dockerfile nope\/Dockerfile: no such file$/ },
  { name: 'unknown instruction', dockerfile: 'FROM scratch\nFOO bar\n', script: pipe, expect: /^df-parse: Dockerfile:2:1: unknown instruction: FOO$/ },
  { name: 'unknown flag', dockerfile: 'FROM scratch\nCOPY --bogus=1 a /b\n', script: pipe, expect: /^df-parse: Dockerfile:2:1: unknown flag: --bogus$/ },
  { name: 'garbage on llb-solve stdin', script: (d) => `echo 'this is not json' | llb-solve --store ${d.store} | export-oci --dest ${d.dest}`, expect: /^llb-solve: stdin:1: not a JSON record: "this is not json"$/ },
  { name: 'wrong record type for export-oci', script: (d) => `echo '{"v":1,"type":"op"}' | export-oci --dest ${d.dest}`, expect: /^export-oci: stdin:1: unexpected record type "op"/ },
  { name: 'future wire version', script: (d) => `echo '{"v":9,"type":"op"}' | llb-solve --store ${d.store}`, expect: /^llb-solve: stdin:1: unsupported wire version 9/ },
  { name: 'op digest that does not match', script: (d) => `echo '{"v":1,"type":"op","digest":"sha256:${'0'.repeat(64)}","op":{"source":{"identifier":"local://x"}}}' | llb-solve --store ${d.store}`, expect: /^llb-solve: stdin:1: op digest .* does not match its content/ },
  { name: 'unreachable registry', dockerfile: 'FROM 127.0.0.1:1/nothing/here:1\nRUN true\n', script: pipe, expect: /^df-parse: Dockerfile:1:1: failed to resolve base image 127\.0\.0\.1:1\/nothing\/here:1: cannot reach registry 127\.0\.0\.1:1/ },
  { name: 'failing RUN step', dockerfile: 'FROM scratch\nCOPY Dockerfile /x\nRUN ["/no/such/binary"]\n', script: pipe, expect: /^llb-solve: Dockerfile:3/ },
  { name: 'missing COPY source', dockerfile: 'FROM scratch\nCOPY nothere.txt /x\n', script: pipe, expect: /^llb-solve: Dockerfile:2/ },
];

for (const c of cases) test(c.name, () => runCase(c));

test('FROM an image the registry does not have', async () => {
  const reg = await startRegistry();
  try {
    await runCase({
      name: 'missing image',
      dockerfile: `FROM ${reg.host}/missing/image:1\n`,
      script: pipe,
      expect: new RegExp(`^df-parse: Dockerfile:1:1: failed to resolve base image ${reg.host.replace(/\./g, '\\.')}/missing/image:1: .*not found`),
    });
  } finally {
    await reg.stop();
  }
});

test('a bad graph for a store not made yet leaves no store behind', async () => {
  const dir = await tempDir('err');
  const store = path.join(dir, 'store');
  const res = await sh(`echo 'this is not json' | llb-solve --store ${store}`);
  assert.match(res.stderr, /^llb-solve: stdin:1: not a JSON record/m);
  assert.not.ok(await fs.stat(store).catch(() => undefined), 'no store directory');
});

test('refuses to read a graph from a terminal', async () => {
  // `script` gives the command a real terminal on stdin
  const res = await sh(`script -qec "llb-solve" /dev/null </dev/null`);
  assert.match(res.stdout.toString() + res.stderr, /refusing to read a build graph from a terminal/);
});

test.run();
