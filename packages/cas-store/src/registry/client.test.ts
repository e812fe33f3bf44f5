import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IntegrityError, NotFoundError, RemoteError, type Platform } from '@pipekit/wire';
import { startRegistry, type TestRegistry } from '../../../../tests/helpers/registry.ts';
import { pushBusybox } from '../../../../tests/helpers/busybox-image.ts';
import { forward, sendJson as send, startFakeRegistry, type FakeHandler } from '../../../../tests/helpers/fake-registry.ts';
import { BlobStore } from '../blobs.ts';
import { MediaTypes, RegistryClient, parseReference, pullImage } from './index.ts';

const AMD64: Platform = { os: 'linux', architecture: 'amd64', variant: '' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const client = new RegistryClient({ timeoutMs: 10_000 });
let reg: TestRegistry;
let pushed = '';
const cleanups: (() => Promise<void>)[] = [];

test.before(async () => {
  reg = await startRegistry();
  pushed = (await pushBusybox(reg.host, 'busybox:latest')).manifestDigest;
});
test.after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await reg?.stop();
});

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
async function rejects(p: Promise<unknown>, type: Function, re: RegExp): Promise<Error> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, type, `expected ${type.name}, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    assert.match((err as Error).message, re);
    assert.not.match((err as Error).message, /\n/, 'error messages are one line');
    return err as Error;
  }
  assert.unreachable(`expected a ${type.name} matching ${re}`);
  throw new Error('unreachable');
}
async function tempStore(): Promise<BlobStore> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'pipekit-store-'));
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return new BlobStore(dir);
}
/** Path of a blob inside docker-registry's filesystem storage. */
function registryBlobFile(digest: string): string {
  const hex = digest.slice(7);
  return path.join(reg.dir, 'storage', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}
async function flipByte(file: string, at = 100): Promise<void> {
  const bytes = await fs.readFile(file);
  bytes[at] ^= 0xff;
  await fs.writeFile(file, bytes);
}

test('push busybox, then resolve by tag', async () => {
  const r = await client.resolveImage(`${reg.host}/busybox:latest`, AMD64);
  assert.is(r.manifestDigest, pushed);
  assert.is(r.mediaType, MediaTypes.ociManifest);
  assert.is(r.indexDigest, undefined);
  assert.is(sha256(r.manifest), pushed);
});

test('resolve and fetch by digest', async () => {
  const r = await client.resolveImage(`${reg.host}/busybox@${pushed}`, AMD64);
  assert.is(r.manifestDigest, pushed);
  const m = await client.getManifest(parseReference(`${reg.host}/busybox`), pushed);
  assert.is(m.digest, pushed);
  assert.is(m.mediaType, MediaTypes.ociManifest);
});

test('blob helpers: has, skip existing push, mount across repositories', async () => {
  const ref = parseReference(`${reg.host}/busybox`);
  const manifest = JSON.parse(new TextDecoder().decode((await client.getManifest(ref)).bytes));
  const config = manifest.config;
  assert.ok(await client.hasBlob(ref, config.digest));
  assert.not.ok(await client.hasBlob(ref, sha256('nope')));
  const bytes = new TextEncoder().encode('hello blob');
  assert.ok(await client.pushBlob(ref, sha256(bytes), bytes.length, bytes), 'first push uploads');
  assert.not.ok(await client.pushBlob(ref, sha256(bytes), bytes.length, bytes), 'second push is skipped');
  const other = parseReference(`${reg.host}/mounted/busybox`);
  assert.ok(await client.mountBlob(other, 'busybox', config.digest));
  assert.ok(await client.hasBlob(other, config.digest));
  assert.not.ok(await client.mountBlob(other, 'busybox', sha256('not there')));
  const blob = await client.fetchBlob(other, config.digest);
  const chunks: Uint8Array[] = [];
  for await (const c of blob.body) chunks.push(c);
  assert.is(blob.size, config.size);
  assert.is(sha256(Buffer.concat(chunks)), config.digest);
  await rejects(client.pushBlob(ref, sha256('x'), 1, bytes), IntegrityError, /does not match/);
});

test('an index with two platforms resolves to the matching manifest', async () => {
  const ref = parseReference(`${reg.host}/busybox:multi`);
  const amd = await client.getManifest(ref, pushed);
  const manifest = JSON.parse(new TextDecoder().decode(amd.bytes));
  const config = JSON.parse(Buffer.concat(await collect((await client.fetchBlob(ref, manifest.config.digest)).body)).toString());
  const armConfig = json({ ...config, architecture: 'arm64', variant: 'v8' });
  await client.pushBlob(ref, sha256(armConfig), armConfig.length, armConfig);
  const armManifest = json({ ...manifest, config: { ...manifest.config, digest: sha256(armConfig), size: armConfig.length } });
  const armDigest = await client.putManifest(ref, sha256(armManifest), armManifest, MediaTypes.ociManifest);
  const index = json({
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [
      { mediaType: MediaTypes.ociManifest, digest: pushed, size: amd.bytes.length, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: MediaTypes.ociManifest, digest: armDigest, size: armManifest.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: MediaTypes.ociManifest, digest: pushed, size: amd.bytes.length, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
    ],
  });
  const indexDigest = await client.putManifest(ref, 'multi', index, MediaTypes.ociIndex);
  assert.is(indexDigest, sha256(index));

  const a = await client.resolveImage(ref, AMD64);
  assert.is(a.manifestDigest, pushed);
  assert.is(a.indexDigest, indexDigest);
  const b = await client.resolveImage(ref, ARM64);
  assert.is(b.manifestDigest, armDigest);
  assert.is(b.indexDigest, indexDigest);
  await rejects(client.resolveImage(ref, { os: 'linux', architecture: 's390x', variant: '' }), NotFoundError, /no manifest for platform linux\/s390x; available: linux\/amd64, linux\/arm64\/v8$/);

  const store = await tempStore();
  const pulled = await pullImage(client, store, ref, ARM64);
  assert.is(pulled.config.architecture, 'arm64');
  assert.is(pulled.indexDigest, indexDigest);
});

test('missing tag or repository is a NotFoundError naming the image', async () => {
  await rejects(client.getManifest(`${reg.host}/busybox:nope`), NotFoundError, new RegExp(`^image ${reg.host.replace(/\./g, '\\.')}/busybox:nope not found in registry$`));
  await rejects(client.resolveImage(`${reg.host}/no/such:thing`, AMD64), NotFoundError, /^image 127\.0\.0\.1:\d+\/no\/such:thing not found in registry$/);
  await rejects(client.fetchBlob(`${reg.host}/busybox`, sha256('absent')), NotFoundError, /^blob sha256:[0-9a-f]+ not found in 127\.0\.0\.1:\d+\/busybox$/);
});

test('unreachable registries are RemoteErrors with readable words', async () => {
  // Port 1 is on fetch's "bad port" list in both Node and Deno, so it never connects at all.
  await rejects(client.getManifest('127.0.0.1:1/foo:bar'), RemoteError, /^cannot reach registry 127\.0\.0\.1:1: port 1 is blocked by fetch/);
  const closed = await closedPort();
  await rejects(client.getManifest(`127.0.0.1:${closed}/foo:bar`), RemoteError, new RegExp(`^cannot reach registry 127\\.0\\.0\\.1:${closed}: connection refused$`));
});

test('pullImage stores verified manifest, config and layers; present blobs are skipped', async () => {
  const store = await tempStore();
  const r = await pullImage(client, store, `${reg.host}/busybox`, AMD64);
  assert.is(r.manifestDigest, pushed);
  assert.is(r.layers.length, 1);
  assert.is(r.config.os, 'linux');
  assert.equal(r.config.config.Cmd, ['sh']);
  for (const d of [r.manifestDigest, r.configDigest, ...r.layers.map((l) => l.digest)]) {
    assert.ok(await store.has(d), `${d} stored`);
    assert.is(sha256(await store.read(d)), d);
  }
  const again = await pullImage(client, store, `${reg.host}/busybox@${pushed}`, AMD64);
  assert.equal(again.layers, r.layers);
  await rejects(pullImage(client, await tempStore(), `${reg.host}/busybox`, ARM64), NotFoundError, /is for linux\/amd64, not linux\/arm64/);
});

test('a corrupted blob or manifest from the registry is refused', async () => {
  await pushBusybox(reg.host, 'corrupt:latest');
  const ref = parseReference(`${reg.host}/corrupt:latest`);
  const r = await client.resolveImage(ref, AMD64);
  const layer = JSON.parse(new TextDecoder().decode(r.manifest)).layers[0];
  // Blobs are shared by every repository holding the same content: restore them afterwards.
  const layerFile = registryBlobFile(layer.digest);
  const manifestFile = registryBlobFile(r.manifestDigest);
  const originals = await Promise.all([fs.readFile(layerFile), fs.readFile(manifestFile)]);
  try {
    await flipByte(layerFile);
    const store = await tempStore();
    await rejects(pullImage(client, store, ref, AMD64), IntegrityError, /failed verification: blob digest mismatch/);
    assert.not.ok(await store.has(layer.digest), 'corrupt layer not stored');
    assert.not.ok(await store.has(r.manifestDigest), 'manifest not stored when a layer fails');

    await fs.writeFile(manifestFile, originals[1].toString('utf8').replace('"schemaVersion":2', '"schemaVersion": 2'));
    await rejects(client.getManifest(ref, r.manifestDigest), IntegrityError, /does not match its digest/);
  } finally {
    await fs.writeFile(layerFile, originals[0]);
    await fs.writeFile(manifestFile, originals[1]);
  }
});

test('bearer token auth: anonymous token fetched on 401, cached by scope', async () => {
  let tokens = 0;
  const upstream = `http://${reg.host}`;
  const fake = await serve(async (req, res, base) => {
    if (req.url!.startsWith('/token')) {
      tokens++;
      const u = new URL(req.url!, base);
      assert.is(u.searchParams.get('service'), 'fake');
      return send(res, 200, JSON.stringify({ token: `t-${u.searchParams.getAll('scope').join(',')}` }), { 'content-type': 'application/json' });
    }
    if (!String(req.headers.authorization ?? '').startsWith('Bearer t-repository:')) {
      return send(res, 401, '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', {
        'www-authenticate': `Bearer realm="${base}/token",service="fake",scope="repository:busybox:pull"`,
      });
    }
    await forward(req, res, upstream);
  });
  const ref = `${fake.host}/busybox:latest`;
  const c = new RegistryClient();
  assert.is((await c.resolveImage(ref, AMD64)).manifestDigest, pushed);
  await c.getManifest(ref);
  assert.is(tokens, 1, 'token reused for the same scope');
  assert.ok(await c.pushBlob(ref, sha256('via token'), 9, new TextEncoder().encode('via token')));
  assert.is(tokens, 2, 'push scope needs its own token');
});

test('basic challenge without credentials, 5xx retries, oversized manifests', async () => {
  let calls = 0;
  const fake = await serve(async (req, res) => {
    calls++;
    if (req.url!.includes('/basic/')) return send(res, 401, '', { 'www-authenticate': 'Basic realm="x"' });
    if (req.url!.includes('/flaky/')) return send(res, 503, '{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}');
    if (req.url!.includes('/huge/')) return send(res, 200, JSON.stringify({ schemaVersion: 2, pad: 'x'.repeat(5 << 20) }), { 'content-type': MediaTypes.ociManifest });
    send(res, 404, '');
  });
  await rejects(client.getManifest(`${fake.host}/basic/x:1`), RemoteError, /requires authentication \(Basic\): no credentials configured/);
  calls = 0;
  await rejects(client.getManifest(`${fake.host}/flaky/x:1`), RemoteError, /answered HTTP 503 for manifest .*flaky\/x:1: UNAVAILABLE: try later$/);
  assert.is(calls, 5, 'GET retried up to 5 attempts');
  await rejects(client.getManifest(`${fake.host}/huge/x:1`), RemoteError, /larger than 4194304 bytes/);
  const withCreds = new RegistryClient({ credentials: () => ({ username: 'u', password: 'p' }) });
  await rejects(withCreds.getManifest(`${fake.host}/basic/x:1`), RemoteError, /denied access .*HTTP 401.*authentication is required/);
});

test('blob redirects are followed; resets retried; stalls time out', async () => {
  const ref = parseReference(`${reg.host}/busybox`);
  const config = JSON.parse(new TextDecoder().decode((await client.getManifest(ref)).bytes)).config;
  let resets = 0;
  const fake = await serve((req, res) => {
    if (req.url!.includes('/blobs/')) {
      res.writeHead(307, { location: `http://${reg.host}/v2/busybox/blobs/${config.digest}` });
      return res.end();
    }
    if (req.url!.includes('/reset/') && resets++ === 0) return req.socket.destroy();
    if (req.url!.includes('/stall/')) return; // never answers
    send(res, 404, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
  });
  const blob = await client.fetchBlob(`${fake.host}/redirected`, config.digest);
  assert.is(sha256(Buffer.concat(await collect(blob.body))), config.digest);
  await rejects(client.getManifest(`${fake.host}/reset/x:1`), NotFoundError, /^image 127\.0\.0\.1:\d+\/reset\/x:1 not found in registry$/);
  assert.is(resets, 2, 'a reset connection is retried');
  const impatient = new RegistryClient({ timeoutMs: 300 });
  await rejects(impatient.getManifest(`${fake.host}/stall/x:1`), RemoteError, /^cannot reach registry 127\.0\.0\.1:\d+: timed out after 300 ms$/);
});

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of it) out.push(c);
  return out;
}

test('a failed upload is sent again from a fresh stream, a manifest PUT again as is; a one-shot stream is not', async () => {
  let posts = 0;
  let puts = 0;
  let failBlobPut = 1;
  let manifestPuts = 0;
  const busy = '{"errors":[{"code":"UNAVAILABLE","message":"busy"}]}';
  const fake = await serve(async (req, res) => {
    if (req.method === 'POST') posts++;
    if (req.method === 'PUT' && req.url!.includes('/blobs/uploads/')) {
      puts++;
      if (failBlobPut-- > 0) {
        for await (const _ of req); // read the body the client sends, then refuse it
        return send(res, 503, busy);
      }
    }
    if (req.method === 'PUT' && req.url!.includes('/manifests/') && manifestPuts++ === 0) {
      for await (const _ of req);
      return send(res, 503, busy);
    }
    await forward(req, res, `http://${reg.host}`);
  });
  const data = new TextEncoder().encode(`sent twice ${Date.now()}`);
  let opened = 0;
  const fresh = () => {
    opened++;
    return (async function* () {
      yield data.subarray(0, 5);
      yield data.subarray(5);
    })();
  };
  assert.ok(await client.pushBlob(`${fake.host}/busybox`, sha256(data), data.length, fresh));
  assert.equal({ opened, posts, puts }, { opened: 2, posts: 2, puts: 2 }, 'a new upload, from a new stream');
  assert.ok(await client.hasBlob(`${reg.host}/busybox`, sha256(data)), 'the registry has it');

  const manifest = await client.getManifest(`${reg.host}/busybox:latest`);
  assert.is(await client.putManifest(`${fake.host}/busybox`, 'retried', manifest.bytes, manifest.mediaType), pushed);
  assert.is(manifestPuts, 2, 'the manifest PUT was repeated');

  failBlobPut = 1;
  const once = new TextEncoder().encode(`sent once ${Date.now()}`);
  await rejects(client.pushBlob(`${fake.host}/busybox`, sha256(once), once.length, (async function* () {
    yield once;
  })()), RemoteError, /answered HTTP 503 for blob upload sha256:[0-9a-f]+: UNAVAILABLE: busy$/);
});

async function serve(handler: FakeHandler): Promise<{ host: string }> {
  const fake = await startFakeRegistry(handler);
  cleanups.push(fake.stop);
  return fake;
}

async function closedPort(): Promise<number> {
  const fake = await startFakeRegistry(() => {});
  await fake.stop();
  return Number(fake.host.split(':')[1]);
}

test.run();
