// Registry credentials the way docker keeps them: $DOCKER_CONFIG/config.json
// (default ~/.docker/config.json) with `auths` entries (base64 "user:pass" in
// `auth`, or username/password, or an OAuth `identitytoken`) and credential
// helpers (`credHelpers` per host, `credsStore` for all) run as
// `docker-credential-<name> get` with the server on stdin.
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { PipekitError, runCommand } from '@pipekit/wire';
import type { Credentials, CredentialsFn } from './auth.ts';

type AuthEntry = { auth?: string; username?: string; password?: string; identitytoken?: string };
type DockerConfig = { auths?: Record<string, AuthEntry>; credHelpers?: Record<string, string>; credsStore?: string };

const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io', 'https://registry-1.docker.io'];

/** Where docker's config.json is: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigPath(env: Record<string, string | undefined> = process.env): string {
  const dir = env.DOCKER_CONFIG || path.join(env.HOME || homedir(), '.docker');
  return path.join(dir, 'config.json');
}

/** `https://host:5000/v2/` -> `host:5000` (how docker compares auths keys). */
export function normalizeServer(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

function fromEntry(e: AuthEntry, where: string): Credentials | undefined {
  if (e.identitytoken) return { identityToken: e.identitytoken };
  if (e.username !== undefined && e.password !== undefined && (e.username || e.password)) return { username: e.username, password: e.password };
  if (e.auth) {
    const text = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) throw new PipekitError(`${where}: "auth" is not base64 of "user:password"`);
    return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  return undefined;
}

async function fromHelper(helper: string, server: string): Promise<Credentials | undefined> {
  const bin = `docker-credential-${helper}`;
  const res = await runCommand(bin, ['get'], { input: server });
  if (res.code !== 0) {
    const msg = String(res.stderr || res.stdout).trim();
    if (/not found in native keychain|credentials not found/i.test(msg)) return undefined;
    throw new PipekitError(`credential helper ${bin} failed for ${server}: ${msg || `exit ${res.code}`}`);
  }
  const doc = JSON.parse(String(res.stdout)) as { Username?: string; Secret?: string };
  if (!doc.Secret) return undefined;
  return doc.Username === '<token>' ? { identityToken: doc.Secret } : { username: doc.Username ?? '', password: doc.Secret };
}

/** Credentials for `host` from a docker config file; undefined when it names none. */
export async function lookupDockerCredentials(host: string, file = dockerConfigPath()): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let cfg: DockerConfig;
  try {
    cfg = JSON.parse(text) as DockerConfig;
  } catch {
    throw new PipekitError(`${file} is not valid JSON; fix or remove it to use registry credentials`);
  }
  const isHub = host === 'docker.io' || host === 'registry-1.docker.io' || host === 'index.docker.io';
  const wanted = isHub ? HUB_KEYS.map(normalizeServer) : [normalizeServer(host)];
  const helper = Object.entries(cfg.credHelpers ?? {}).find(([k]) => wanted.includes(normalizeServer(k)))?.[1];
  const serverName = isHub ? 'https://index.docker.io/v1/' : host;
  if (helper) return fromHelper(helper, serverName);
  for (const [k, entry] of Object.entries(cfg.auths ?? {})) {
    if (!wanted.includes(normalizeServer(k))) continue;
    const c = fromEntry(entry ?? {}, `${file}: auths[${JSON.stringify(k)}]`);
    if (c) return c;
  }
  if (cfg.credsStore) return fromHelper(cfg.credsStore, serverName);
  return undefined;
}

/** A CredentialsFn reading the docker config (read on each 401, so a login in between is seen). */
export function dockerCredentials(file?: string): CredentialsFn {
  return (host) => lookupDockerCredentials(host, file);
}
