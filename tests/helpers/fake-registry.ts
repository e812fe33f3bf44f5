// A scripted HTTP server standing in for a registry, for the failures a real
// docker-registry will not produce on demand: auth challenges, 5xx, resets,
// stalls, redirects, oversized answers. It can forward to a real registry.
import { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export type FakeHandler = (req: IncomingMessage, res: ServerResponse, base: string) => unknown;
export type FakeRegistry = { host: string; base: string; stop(): Promise<void> };

/** Serve `handler` on 127.0.0.1:<free port>; stop() also drops open (stalled) connections. */
export async function startFakeRegistry(handler: FakeHandler): Promise<FakeRegistry> {
  let base = '';
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res, base)).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, JSON.stringify({ errors: [{ code: 'UNKNOWN', message: String(err) }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
  return {
    host: `127.0.0.1:${port}`,
    base,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

/** Forward a request to a real registry, rewriting upload Locations back onto the fake host. */
export async function forward(req: IncomingMessage, res: ServerResponse, upstream: string): Promise<void> {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const chunks: Uint8Array[] = [];
  if (hasBody) for await (const c of req) chunks.push(c as Uint8Array);
  const headers: Record<string, string> = {};
  for (const k of ['accept', 'content-type']) if (req.headers[k]) headers[k] = String(req.headers[k]);
  const up = await fetch(upstream + req.url, { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined });
  const out: Record<string, string> = {};
  up.headers.forEach((v, k) => {
    if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') out[k] = k === 'location' ? v.replace(upstream, '') : v;
  });
  const bytes = Buffer.from(await up.arrayBuffer());
  if (req.method !== 'HEAD') out['content-length'] = String(bytes.length);
  res.writeHead(up.status, out);
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
