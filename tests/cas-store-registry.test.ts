// Black-box: `cas-store pull` against real docker-registry instances on
// 127.0.0.1 (anonymous, htpasswd basic auth, TLS with a generated CA), a token
// server in front of one (the Docker Hub flow), and scripted failures: 500s
// that go away, a truncated blob and a wrong digest (refused, nothing stored).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { promises as fs, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Buffer } from 'node:buffer';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isDeno, sh, tempDir, listFiles } from './helpers/cli.ts';
import { startRegistry, type TestRegistry } from './helpers/registry.ts';
import { buildBusyboxLayout, pushBusybox } from './helpers/busybox-image.ts';
import { startFakeRegistry, forward, sendJson } from './helpers/fake-registry.ts';
import { MediaTypes, RegistryClient, parseReference, type RegistryClientOptions } from '../packages/cas-store/src/index.ts';

const stops: (() => Promise<unknown>)[] = [];
test.after(async () => {
  for (const s of stops.reverse()) await s().catch(() => undefined);
});

let plain: TestRegistry;
const plainReady = (async () => {
  plain = await startRegistry();
  stops.push(() => plain.stop());
  await pushBusybox(plain.host, 'base/busybox:1');
})();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A docker-registry with extra config lines under `http:` and at top level (auth). */
async function customRegistry(extraHttp: string[], extraTop: string[], scheme: 'http' | 'https', ca?: string): Promise<{ host: string }> {
  const dir = await tempDir('reg');
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  writeFileSync(config, [
    'version: 0.1', 'log:', '  level: error', '  accesslog:', '    disabled: true',
    'storage:', '  filesystem:', `    rootdirectory: ${JSON.stringify(path.join(dir, 'storage'))}`,
    ...extraTop, 'http:', `  addr: 127.0.0.1:${port}`, ...extraHttp, '',
  ].join('\n'));
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' });
  stops.push(async () => {
    child.kill('SIGKILL');
    await fs.rm(dir, { recursive: true, force: true });
  });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const r = await sh(`curl -s -o /dev/null -w '%{http_code}' ${ca ? `--cacert ${ca}` : ''} ${scheme}://${host}/v2/`);
    if (/^[24]\d\d$/.test(r.stdout.toString())) return { host };
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`docker-registry on ${host} did not come up`);
}

/** Push the busybox test image with an explicit client (TLS / auth options). */
async function pushWith(opts: RegistryClientOptions, host: string, repoTag: string): Promise<string> {
  const dir = await tempDir('bb');
  const ref = parseReference(`${host}/${repoTag}`);
  const { manifestDigest } = await buildBusyboxLayout(dir, { tag: ref.tag });
  const blob = (d: string) => fs.readFile(path.join(dir, 'blobs', 'sha256', d.slice(7)));
  const manifest = JSON.parse((await blob(manifestDigest)).toString()) as { config: { digest: string; size: number }; layers: { digest: string; size: number }[] };
  const client = new RegistryClient(opts);
  for (const d of [...manifest.layers, manifest.config]) await client.pushBlob(ref, d.digest, d.size, new Uint8Array(await blob(d.digest)));
  return client.putManifest(ref, ref.tag, new Uint8Array(await blob(manifestDigest)), MediaTypes.ociManifest);
}

async function dockerConfig(auths: Record<string, unknown>): Promise<string> {
  const dir = await tempDir('dockercfg');
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ auths }));
  return dir;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('anonymous pull from a plain-HTTP loopback registry', async () => {
  await plainReady;
  const store = await tempDir('store');
  const r = await sh(`cas-store pull --store ${store} ${plain.host}/base/busybox:1`);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /^sha256:[0-9a-f]{64}\n$/);
  const fsck = await sh(`cas-store fsck --store ${store}`);
  assert.is(fsck.code, 0, fsck.stdout.toString() + fsck.stderr);
});

test('basic auth (htpasswd): refused without credentials, pulled with docker config.json', async () => {
  const dir = await tempDir('htpasswd');
  const file = path.join(dir, 'htpasswd');
  execFileSync('htpasswd', ['-Bbc', file, 'alice', 's3cret'], { stdio: 'ignore' });
  const reg = await customRegistry([], ['auth:', '  htpasswd:', '    realm: test-realm', `    path: ${file}`], 'http');
  const cfg = await dockerConfig({ [reg.host]: { auth: b64('alice:s3cret') } });
  process.env.DOCKER_CONFIG = cfg;
  try {
    await pushWith({}, reg.host, 'private/bb:1');
  } finally {
    delete process.env.DOCKER_CONFIG;
  }
  const store = await tempDir('store');
  const none = await sh(`cas-store pull --store ${store} ${reg.host}/private/bb:1`, { env: { DOCKER_CONFIG: await tempDir('empty') } });
  assert.is(none.code, 1);
  assert.match(none.stderr, /requires authentication \(Basic\): no credentials configured for 127\.0\.0\.1/);
  const wrong = await sh(`cas-store pull --store ${store} ${reg.host}/private/bb:1`, { env: { DOCKER_CONFIG: await dockerConfig({ [`https://${reg.host}/v2/`]: { username: 'alice', password: 'nope' } }) } });
  assert.is(wrong.code, 1);
  assert.match(wrong.stderr, /denied access .*HTTP 401/);
  const ok = await sh(`cas-store pull --store ${store} ${reg.host}/private/bb:1`, { env: { DOCKER_CONFIG: cfg } });
  assert.is(ok.code, 0, ok.stderr);
});

test('TLS with a generated CA: refused as untrusted, pulled with --registry-ca', async () => {
  const dir = await tempDir('tls');
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=pipekit test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1']);
  await fs.writeFile(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext.cnf']);
  const ca = path.join(dir, 'ca.pem');
  const reg = await customRegistry(['  tls:', `    certificate: ${path.join(dir, 'srv.pem')}`, `    key: ${path.join(dir, 'srv.key')}`], [], 'https', ca);
  await pushWith({ registryCAs: [`${reg.host}=${ca}`] }, reg.host, 'secure/bb:1');
  const store = await tempDir('store');
  const untrusted = await sh(`cas-store pull --store ${store} ${reg.host}/secure/bb:1`);
  assert.is(untrusted.code, 1, 'plain HTTP to a TLS port fails');
  const noCa = await sh(`cas-store pull --store ${store} --registry-ca ${reg.host}=${path.join(dir, 'srv.pem')} ${reg.host}/secure/bb:1`);
  assert.is(noCa.code, 1, noCa.stderr);
  assert.match(noCa.stderr, /TLS|certificate/i);
  const ok = await sh(`cas-store pull --store ${store} --registry-ca ${reg.host}=${ca} ${reg.host}/secure/bb:1`);
  assert.is(ok.code, 0, ok.stderr);
  // NODE_EXTRA_CA_CERTS is trusted too (the bins keep Node from parsing it at start-up, then hand it back)
  const viaEnv = await sh(`cas-store pull --store ${await tempDir('store')} --registry-ca ${reg.host}=${path.join(dir, 'srv.pem')} ${reg.host}/secure/bb:1`, { env: { NODE_EXTRA_CA_CERTS: ca } });
  assert.is(viaEnv.code, 0, viaEnv.stderr);
});

// the Node bins only: under Deno the tools start through the deno npm package's Node shim
if (!isDeno) test('NODE_EXTRA_CA_CERTS is not parsed as a tool starts: an unreadable one gives no start-up warning', async () => {
  const r = await sh('df-parse --version && cas-store --version', { env: { NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem' } });
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, /extra certs/i);
});

test('bearer token flow (Docker Hub style): credentials go to the token server, the token to the registry', async () => {
  await plainReady;
  const seen: { tokenAuth?: string; scopes: string[]; registryAuth: string[] } = { scopes: [], registryAuth: [] };
  const token = await startFakeRegistry((req, res) => {
    const url = new URL(req.url!, 'http://x');
    seen.tokenAuth = String(req.headers.authorization ?? '');
    seen.scopes.push(...url.searchParams.getAll('scope'));
    if (seen.tokenAuth !== `Basic ${b64('bob:hunter2')}`) return sendJson(res, 401, '{"details":"bad credentials"}');
    sendJson(res, 200, JSON.stringify({ token: 'tok-123', expires_in: 300 }));
  });
  stops.push(() => token.stop());
  const front = await startFakeRegistry(async (req, res) => {
    seen.registryAuth.push(String(req.headers.authorization ?? ''));
    if (req.headers.authorization !== 'Bearer tok-123') {
      const repo = /^\/v2\/(.+?)\/(manifests|blobs)\//.exec(req.url!)?.[1] ?? '';
      return sendJson(res, 401, '{"errors":[{"code":"UNAUTHORIZED"}]}', {
        'www-authenticate': `Bearer realm="${token.base}/token",service="fake.registry",scope="repository:${repo}:pull"`,
      });
    }
    await forward(req, res, `http://${plain.host}`);
  });
  stops.push(() => front.stop());
  const store = await tempDir('store');
  const anon = await sh(`cas-store pull --store ${store} ${front.host}/base/busybox:1`, { env: { DOCKER_CONFIG: await tempDir('empty') } });
  assert.is(anon.code, 1);
  assert.match(anon.stderr, /refused a token anonymously/);
  const cfg = await dockerConfig({ [front.host]: { auth: b64('bob:hunter2') } });
  const ok = await sh(`cas-store pull --store ${store} ${front.host}/base/busybox:1`, { env: { DOCKER_CONFIG: cfg } });
  assert.is(ok.code, 0, ok.stderr);
  assert.ok(seen.scopes.includes('repository:base/busybox:pull'), seen.scopes.join(' '));
  assert.ok(seen.registryAuth.includes('Bearer tok-123'));
  assert.not.ok(seen.registryAuth.some((a) => a.startsWith('Basic')), 'the password never goes to the registry');
});

test('a registry answering 500 twice then succeeding is retried with backoff', async () => {
  await plainReady;
  let failures = 0;
  const front = await startFakeRegistry(async (req, res) => {
    if (req.url!.includes('/manifests/') && failures < 2) {
      failures++;
      return sendJson(res, 500, '{"errors":[{"code":"UNKNOWN","message":"boom"}]}');
    }
    await forward(req, res, `http://${plain.host}`);
  });
  stops.push(() => front.stop());
  const store = await tempDir('store');
  const started = Date.now();
  const r = await sh(`cas-store pull --store ${store} ${front.host}/base/busybox:1`);
  assert.is(r.code, 0, r.stderr);
  assert.is(failures, 2);
  assert.ok(Date.now() - started >= 300, 'waited between attempts');
});

/** A front that forwards everything but rewrites layer blobs with `mangle`. */
async function mangledLayers(mangle: (body: Buffer, res: import('node:http').ServerResponse) => void): Promise<string> {
  await plainReady;
  const front = await startFakeRegistry(async (req, res) => {
    if (req.method === 'GET' && /\/blobs\/sha256:/.test(req.url!)) {
      const up = await fetch(`http://${plain.host}${req.url}`);
      const body = Buffer.from(await up.arrayBuffer());
      if (body.length > 100_000) return mangle(body, res); // the layer, not the config
      res.writeHead(200, { 'content-length': String(body.length) });
      return res.end(body);
    }
    await forward(req, res, `http://${plain.host}`);
  });
  stops.push(() => front.stop());
  return front.host;
}

async function storedBlobs(store: string): Promise<string[]> {
  return (await listFiles(path.join(store, 'blobs'))).concat((await listFiles(path.join(store, 'tmp'))).map((f) => `tmp/${f}`));
}

test('a truncated blob (connection dropped mid-body) is refused and nothing is stored', async () => {
  let served = 0;
  const host = await mangledLayers((body, res) => {
    served++;
    res.writeHead(200, { 'content-length': String(body.length) });
    res.write(body.subarray(0, body.length >> 1), () => res.destroy());
  });
  const store = await tempDir('store');
  const r = await sh(`cas-store pull --store ${store} ${host}/base/busybox:1`);
  assert.is(r.code, 1);
  assert.match(r.stderr, /lost connection to registry .* while reading \/v2\/base\/busybox\/blobs\/sha256:/);
  assert.is(served, 3, 'a dropped download is retried, then given up');
  const files = await storedBlobs(store);
  assert.equal(files.filter((f) => f.startsWith('tmp/')), [], 'no temp leftovers');
  // manifest and config, but not the layer
  assert.is(files.length, 2, files.join(', '));
});

test('a blob whose content does not match its digest is refused and nothing is stored', async () => {
  const host = await mangledLayers((body, res) => {
    const bad = Buffer.from(body);
    bad[bad.length - 10] ^= 0xff;
    res.writeHead(200, { 'content-length': String(bad.length) });
    res.end(bad);
  });
  const store = await tempDir('store');
  const r = await sh(`cas-store pull --store ${store} ${host}/base/busybox:1`);
  assert.is(r.code, 1);
  assert.match(r.stderr, /blob digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:/);
  const files = await storedBlobs(store);
  assert.is(files.length, 2, files.join(', '));
});

test.run();
