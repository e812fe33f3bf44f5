// Black-box: build secrets through the real pipe. The secret's bytes must not
// appear in the graph, the result records, the store, the exported image (its
// layers decompressed, config, history) or the plain and rawjson progress; the
// steps that print the secret show ****. A secret's value leaves cache keys
// alone unless `cache=content` is asked for.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh, tempDir } from './helpers/cli.ts';
import { inspectOciTar, readRootfsFile } from './helpers/image.ts';

const BOOTSTRAP = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /etc /tmp && echo root:x:0:0:root:/root:/bin/sh > /etc/passwd && echo root:x:0: > /etc/group"]',
  'ENV PATH=/bin',
];

async function context(lines: string[]): Promise<string> {
  const dir = await tempDir('secrets-ctx');
  await fs.copyFile('/bin/busybox', path.join(dir, 'busybox'));
  await fs.writeFile(path.join(dir, 'Dockerfile'), `${[...BOOTSTRAP, ...lines].join('\n')}\n`);
  return dir;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Files under each path (recursively) whose bytes, or gunzipped bytes, contain a needle. */
async function leaks(roots: string[], needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  const forms = needles.flatMap((n) => [Buffer.from(n), Buffer.from(Buffer.from(n).toString('base64'))]);
  const check = (where: string, data: Buffer) => {
    for (const f of forms) if (data.includes(f)) hits.push(`${where} contains ${JSON.stringify(f.toString())}`);
  };
  const walk = async (p: string): Promise<void> => {
    const st = await fs.lstat(p).catch(() => undefined);
    if (!st) return;
    if (st.isDirectory()) {
      for (const e of await fs.readdir(p)) await walk(path.join(p, e));
      return;
    }
    if (!st.isFile()) return;
    const data = await fs.readFile(p);
    check(p, data);
    if (data[0] === 0x1f && data[1] === 0x8b) {
      const plain = (() => {
        try {
          return gunzipSync(data);
        } catch {
          return undefined;
        }
      })();
      if (plain) check(`${p} (gunzipped)`, plain);
    }
  };
  for (const r of roots) await walk(r);
  return hits;
}

/** rawjson progress with each log's base64 data decoded. */
function rawjsonLogs(stderr: string): string {
  let out = '';
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    for (const l of (JSON.parse(line) as { logs?: { data: string }[] }).logs ?? []) out += Buffer.from(l.data, 'base64').toString('utf8');
  }
  return out;
}

type V = { name: string; completed?: string; cached?: boolean };
function executed(stderr: string): string[] {
  const state = new Map<string, V>();
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    for (const v of (JSON.parse(line) as { vertexes?: V[] }).vertexes ?? []) state.set(v.name, { ...state.get(v.name), ...v });
  }
  return [...state.values()].filter((v) => v.completed && !v.cached && !v.name.startsWith('[internal]')).map((v) => v.name);
}

test('file and env secrets reach RUN and nothing else: graph, records, store, image, plain and rawjson progress', async () => {
  const fileSecret = `pk-file-secret-${randomBytes(12).toString('hex')}`;
  const envSecret = `pk-env-secret-${randomBytes(12).toString('hex')}`;
  const ctx = await context([
    'RUN --mount=type=secret,id=token,required=true echo "token: $(cat /run/secrets/token)" && stat -c "%a %u" /run/secrets/token && sha256sum /run/secrets/token | cut -d" " -f1 > /token.sha',
    'RUN --mount=type=secret,id=apikey,env=API_KEY,required=true echo "api: $API_KEY" && printf %s "$API_KEY" | sha256sum | cut -d" " -f1 > /api.sha',
    'RUN if [ -e /run/secrets ]; then echo left > /leftover; fi; echo "env now: ${API_KEY:-unset}" > /after',
  ]);
  const out = await tempDir('secrets-out');
  const store = path.join(out, 'store');
  await fs.writeFile(path.join(out, 'token.txt'), fileSecret);
  const flags = `--store ${store} --secret id=token,src=${out}/token.txt --secret id=apikey,env=PK_TEST_API_KEY`;
  const env = { PK_TEST_API_KEY: envSecret };

  const plain = await sh(`df-parse Dockerfile --store ${store} > ${out}/graph.ndjson && llb-solve ${out}/graph.ndjson ${flags} --progress plain > ${out}/records.ndjson && export-oci ${out}/records.ndjson --dest ${out}/image.tar`, { cwd: ctx, env });
  assert.is(plain.code, 0, plain.stderr);
  assert.match(plain.stderr, /token: \*\*\*\*\n/);
  assert.match(plain.stderr, /api: \*\*\*\*\n/);
  assert.match(plain.stderr, / 400 0\n/, 'mode 0400, owned by root');

  // the same build again, every step run, in rawjson
  const raw = await sh(`llb-solve ${out}/graph.ndjson ${flags} --no-cache --progress rawjson > ${out}/records2.ndjson && export-oci ${out}/records2.ndjson --dest ${out}/image2.tar`, { cwd: ctx, env });
  assert.is(raw.code, 0, raw.stderr);
  const logs = rawjsonLogs(raw.stderr);
  assert.match(logs, /token: \*\*\*\*\n/);
  assert.match(logs, /api: \*\*\*\*\n/);

  // the steps saw the real values...
  const img = await inspectOciTar(`${out}/image.tar`);
  assert.is((await readRootfsFile(img.rootfs, 'token.sha')).trim(), sha256(fileSecret));
  assert.is((await readRootfsFile(img.rootfs, 'api.sha')).trim(), sha256(envSecret));
  // ...which were gone after them, mount stubs and all
  assert.is(await readRootfsFile(img.rootfs, 'after'), 'env now: unset\n');
  assert.not.ok(await fs.stat(path.join(img.rootfs, 'leftover')).catch(() => undefined), '/run/secrets existed in a later step');
  assert.not.ok(await fs.stat(path.join(img.rootfs, 'run')).catch(() => undefined), '/run is in the image');
  const listing = await sh(`mkdir -p ${out}/layout && tar -xf ${out}/image.tar -C ${out}/layout && for f in ${out}/layout/blobs/sha256/*; do gzip -dc "$f" 2>/dev/null | tar -t 2>/dev/null; done`);
  assert.ok(listing.stdout.toString().includes('token.sha'), 'layers listed');
  assert.not.match(listing.stdout.toString(), /^run\//m, 'no layer holds run/');

  const hits = await leaks([`${out}/graph.ndjson`, `${out}/records.ndjson`, `${out}/records2.ndjson`, store, `${out}/image.tar`, `${out}/image2.tar`, `${out}/layout`, img.rootfs], [fileSecret, envSecret]);
  assert.equal(hits, []);
  assert.not.ok(JSON.stringify(img.config).includes(fileSecret) || JSON.stringify(img.config).includes(envSecret), 'config and history');
  for (const s of [plain.stderr, raw.stderr, logs]) {
    assert.not.ok(s.includes(fileSecret) || s.includes(envSecret), 'progress');
    assert.not.ok(s.includes(Buffer.from(fileSecret).toString('base64')) || s.includes(Buffer.from(envSecret).toString('base64')));
  }
});

test('a secret\'s value leaves the cache alone unless cache=content, which keys on a salted hash', async () => {
  const ctx = await context(['RUN --mount=type=secret,id=tok cat /run/secrets/tok | sha256sum > /tok.sha']);
  const out = await tempDir('secrets-cache');
  const store = path.join(out, 'store');
  const values = ['pk-cache-one-8c1f', 'pk-cache-two-77ad', 'pk-cache-three-e5b0'];
  const build = async (value: string, opts = '') => {
    await fs.writeFile(path.join(out, 'tok'), value);
    const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress rawjson --secret id=tok,src=${out}/tok${opts}`, { cwd: ctx });
    assert.is(r.code, 0, r.stderr);
    return executed(r.stderr).filter((n) => n.includes('/run/secrets/tok'));
  };
  assert.is((await build(values[0])).length, 1, 'first build runs the step');
  assert.is((await build(values[1])).length, 0, 'a new value alone does not invalidate (as in BuildKit)');
  assert.is((await build(values[1], ',cache=content')).length, 1, 'cache=content keys on the value');
  assert.is((await build(values[1], ',cache=content')).length, 0, 'same value, cached');
  assert.is((await build(values[2], ',cache=content')).length, 1, 'new value, runs');
  assert.equal(await leaks([store], values), []);
  const key = await fs.stat(path.join(store, 'secret-cache.key'));
  assert.is(key.mode & 0o777, 0o600);
});

test('a secret that a step prints across a 64 KiB pipe read is still masked', async () => {
  const value = `pk-split-${randomBytes(8).toString('hex')}`;
  // one write of 65530 bytes of padding + the secret: the solver's 64 KiB read cuts the secret in two
  const ctx = await context(['RUN --mount=type=secret,id=tok (head -c 65530 /dev/zero | tr "\\0" a; cat /run/secrets/tok; echo) > /f; cat /f']);
  const out = await tempDir('secrets-split');
  await fs.writeFile(path.join(out, 'tok'), value);
  for (const mode of ['plain', 'rawjson']) {
    const r = await sh(`df-parse Dockerfile --store ${out}/store | llb-solve --store ${out}/store --no-cache --progress ${mode} --secret id=tok,src=${out}/tok > /dev/null`, { cwd: ctx });
    assert.is(r.code, 0, r.stderr);
    const shown = mode === 'plain' ? r.stderr.replace(/\n#\d+ [\d.]+ /g, '') : rawjsonLogs(r.stderr);
    assert.match(shown, /aaaa\*\*\*\*\n/, mode);
    assert.not.ok(shown.includes(value) || r.stderr.includes(value), `${mode} shows the secret`);
  }
});

test('control: the leak search does find a secret that a step copies into its layer', async () => {
  const value = `pk-copied-${randomBytes(8).toString('hex')}`;
  const ctx = await context(['RUN --mount=type=secret,id=tok cp /run/secrets/tok /copied']);
  const out = await tempDir('secrets-control');
  await fs.writeFile(path.join(out, 'tok'), value);
  const r = await sh(`df-parse Dockerfile --store ${out}/store | llb-solve --store ${out}/store --secret id=tok,src=${out}/tok | export-oci --dest ${out}/image.tar`, { cwd: ctx });
  assert.is(r.code, 0, r.stderr);
  const hits = await leaks([`${out}/store`, `${out}/image.tar`], [value]);
  assert.ok(hits.some((h) => h.includes('store/snapshots')), hits.join('\n'));
  assert.ok(hits.some((h) => h.includes('(gunzipped)')), hits.join('\n'));
});

test.run();
