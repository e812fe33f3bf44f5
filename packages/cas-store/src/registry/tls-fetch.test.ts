import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extraCaBundle, makeFetch } from './tls-fetch.ts';

/** A CA and a server certificate for 127.0.0.1 signed by it, made with openssl. */
async function pki(): Promise<{ dir: string; ca: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tls-fetch-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tls-fetch test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1']);
  await fs.writeFile(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext.cnf']);
  return { dir, ca: path.join(dir, 'ca.pem') };
}

/** Run `fn` with NODE_EXTRA_CA_CERTS set to `file` (or unset), restoring it after. */
async function withExtraCa<T>(file: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  if (file === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
  else process.env.NODE_EXTRA_CA_CERTS = file;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = saved;
  }
}

test('extraCaBundle: the file NODE_EXTRA_CA_CERTS names; empty when unset or unreadable', async () => {
  const { dir, ca } = await pki();
  try {
    assert.is(await withExtraCa(ca, async () => extraCaBundle()), readFileSync(ca, 'utf8'));
    assert.is(await withExtraCa(undefined, async () => extraCaBundle()), '');
    assert.is(await withExtraCa(path.join(dir, 'missing.pem'), async () => extraCaBundle()), '');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('makeFetch trusts a CA named by NODE_EXTRA_CA_CERTS, and refuses the server without it', async () => {
  const { dir, ca } = await pki();
  const server = createServer({ key: readFileSync(path.join(dir, 'srv.key')), cert: readFileSync(path.join(dir, 'srv.pem')) }, (_req, res) => res.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    // refused first: a TLS session resumed from the trusted fetch would skip verification (Deno resumes across clients)
    const refused = await withExtraCa(undefined, () => makeFetch()(url, {}).then(() => 'fetched', (err) => String(err?.cause ?? err)));
    assert.match(refused, /certificate|self.signed|unable to verify/i, refused);
    const trusted = await withExtraCa(ca, async () => {
      const res = await makeFetch()(url, {});
      return res.text();
    });
    assert.is(trusted, 'hello');
  } finally {
    server.close();
    server.closeAllConnections();
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test.run();
