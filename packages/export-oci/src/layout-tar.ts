// Writes an OCI layout as a tar stream the way containerd's archive exporter
// does: entries sorted by name and deduplicated, and fixed headers (one mtime,
// uid/gid 0, no user/group names) so the same image always gives the same bytes.
// Blob bodies are streamed from their source, never held whole in memory.
// Headers and small bodies are gathered into writes of about CHUNK bytes: a
// small image is then one or two writes, where a stream per entry cost more
// than the export's own work.
import { encodeHeader, padding, TAR_END } from '@pipekit/cas-store';

type Body = Uint8Array | (() => AsyncIterable<Uint8Array>);
export type TarEntry =
  | { name: string; type: 'directory'; mode: number }
  | { name: string; type: 'file'; mode: number; size: number; body: Body };

const CHUNK = 1024 * 1024;

/**
 * Stream `entries` as a tar to `write`, which is awaited for every chunk (so the
 * writer's pace is the tar's pace). `mtime` is unix seconds for every header.
 * Rejects with the first error, whether from a body or from `write`.
 */
export async function writeLayoutTar(entries: TarEntry[], write: (chunk: Uint8Array) => Promise<void>, mtime = 0): Promise<void> {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const unique = sorted.filter((e, i) => i === 0 || e.name !== sorted[i - 1].name);
  let parts: Uint8Array[] = [];
  let pending = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    pending += b.length;
  };
  const flush = async () => {
    if (pending === 0) return;
    const out = parts.length === 1 ? parts[0] : Buffer.concat(parts, pending);
    parts = [];
    pending = 0;
    await write(out);
  };
  for (const e of unique) {
    const size = e.type === 'file' ? e.size : 0;
    push(encodeHeader({ name: e.name, type: e.type, mode: e.mode, uid: 0, gid: 0, size, mtime }));
    if (e.type === 'file') {
      if (e.body instanceof Uint8Array) {
        if (e.body.length !== e.size) throw new Error(`tar entry ${e.name}: body is ${e.body.length} bytes, header size ${e.size}`);
        push(e.body);
      } else {
        let n = 0;
        for await (const c of e.body()) {
          n += c.length;
          if (n > e.size) throw new Error(`tar entry ${e.name}: body is longer than its header size ${e.size}`);
          push(c);
          if (pending >= CHUNK) await flush();
        }
        if (n !== e.size) throw new Error(`tar entry ${e.name}: body is ${n} bytes, header size ${e.size}`);
      }
      push(Buffer.alloc(padding(size)));
    }
    if (pending >= CHUNK) await flush();
  }
  push(TAR_END);
  await flush();
}
