// Where a registry name is served: docker.io's API lives on registry-1.docker.io,
// loopback and explicitly insecure registries speak plain HTTP, the rest HTTPS.
// A loopback registry with its own CA (--registry-ca HOST=FILE, or
// /etc/docker/certs.d/HOST/ca.crt) is spoken to over HTTPS.
import { isIP } from 'node:net';

export const DOCKER_HUB_API = 'registry-1.docker.io';

/** `http(s)://host[:port]` for a registry name as it appears in an ImageRef. */
export function registryBaseUrl(registry: string, insecureRegistries: readonly string[] = [], tlsHosts: readonly string[] = []): string {
  const host = registry === 'docker.io' ? DOCKER_HUB_API : registry;
  const tls = tlsHosts.includes(registry) || tlsHosts.includes(host);
  const plain = (isLoopback(hostname(host)) && !tls) || insecureRegistries.includes(registry) || insecureRegistries.includes(host);
  return `${plain ? 'http' : 'https'}://${host}`;
}

/** The host part of `host[:port]` / `[v6]:port`, without brackets. */
export function hostname(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  const colon = hostPort.lastIndexOf(':');
  return colon >= 0 ? hostPort.slice(0, colon) : hostPort;
}

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}
