import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Buffer } from 'node:buffer';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dockerConfigPath, lookupDockerCredentials, normalizeServer } from './docker-config.ts';

async function config(doc: unknown): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dockercfg-'));
  const file = path.join(dir, 'config.json');
  await fs.writeFile(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

test('DOCKER_CONFIG, else ~/.docker', () => {
  assert.is(dockerConfigPath({ DOCKER_CONFIG: '/etc/dc' }), '/etc/dc/config.json');
  assert.is(dockerConfigPath({ HOME: '/home/u' }), '/home/u/.docker/config.json');
  assert.is(normalizeServer('https://Reg.example:5000/v2/'), 'reg.example:5000');
});

test('auths: base64 auth, username/password, identitytoken; Docker Hub keys', async () => {
  const file = await config({
    auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw:with:colons').toString('base64') },
      'reg.example:5000': { username: 'u', password: 'p' },
      'https://tok.example/v2/': { identitytoken: 'refresh-me' },
    },
  });
  assert.equal(await lookupDockerCredentials('docker.io', file), { username: 'hub', password: 'pw:with:colons' });
  assert.equal(await lookupDockerCredentials('reg.example:5000', file), { username: 'u', password: 'p' });
  assert.equal(await lookupDockerCredentials('tok.example', file), { identityToken: 'refresh-me' });
  assert.is(await lookupDockerCredentials('other.example', file), undefined);
  assert.is(await lookupDockerCredentials('x', path.join(path.dirname(file), 'absent.json')), undefined);
});

test('credential helpers: credHelpers per host, credsStore for the rest', async () => {
  const bin = await fs.mkdtemp(path.join(os.tmpdir(), 'helper-'));
  await fs.writeFile(path.join(bin, 'docker-credential-fake'), '#!/bin/sh\nread server\necho "{\\"Username\\":\\"from-helper\\",\\"Secret\\":\\"s-$server\\"}"\n', { mode: 0o755 });
  const file = await config({ credHelpers: { 'helped.example': 'fake' }, credsStore: 'fake', auths: {} });
  const oldPath = process.env.PATH;
  process.env.PATH = `${bin}:${oldPath}`;
  try {
    assert.equal(await lookupDockerCredentials('helped.example', file), { username: 'from-helper', password: 's-helped.example' });
    assert.equal(await lookupDockerCredentials('docker.io', file), { username: 'from-helper', password: 's-https://index.docker.io/v1/' });
  } finally {
    process.env.PATH = oldPath;
  }
});

test('a broken config file is an error naming it', async () => {
  const file = await config('{ not json');
  try {
    await lookupDockerCredentials('x', file);
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /config\.json is not valid JSON/);
  }
});

test.run();
