// --registry-ca values: `FILE` trusts a PEM CA for every registry; `HOST=FILE`
// trusts it and makes HOST use HTTPS even on loopback. Docker's per-host
// directory /etc/docker/certs.d/HOST/*.crt is read too.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '@pipekit/wire';

export const CERTS_D = '/etc/docker/certs.d';

export type RegistryCAs = { pems: string[]; hosts: string[] };

export function loadRegistryCAs(specs: readonly string[], certsD = CERTS_D): RegistryCAs {
  const pems: string[] = [];
  const hosts: string[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const host = eq > 0 && !spec.slice(0, eq).includes('/') ? spec.slice(0, eq) : '';
    const file = host ? spec.slice(eq + 1) : spec;
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--registry-ca ${spec}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--registry-ca ${spec}: ${file} holds no PEM certificate`);
    pems.push(pem);
    if (host) hosts.push(host);
  }
  for (const host of safeReaddir(certsD)) {
    for (const f of safeReaddir(path.join(certsD, host)).filter((n) => n.endsWith('.crt'))) {
      try {
        pems.push(readFileSync(path.join(certsD, host, f), 'utf8'));
        hosts.push(host);
      } catch {
        // unreadable: ignored like docker does
      }
    }
  }
  return { pems, hosts };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
