// Writes an OCI layout as a tar stream the way containerd's archive exporter
// does: entries sorted by name and deduplicated, and fixed headers (one mtime,
// uid/gid 0, no user/group names) so the same image always gives the same bytes.
// Blob bodies are streamed from their source, never held whole in memory.
import tarStream from 'tar-stream';

type Body = Uint8Array | (() => AsyncIterable<Uint8Array>);
export type TarEntry =
  | { name: string; type: 'directory'; mode: number }
  | { name: string; type: 'file'; mode: number; size: number; body: Body };

type Sink = ReturnType<tarStream.Pack['entry']>;

/**
 * Stream `entries` as a tar to `write`, which is awaited for every chunk (so the
 * writer's pace is the tar's pace). `mtime` is unix seconds for every header.
 * Rejects with the first error, whether from a body or from `write`.
 */
export async function writeLayoutTar(entries: TarEntry[], write: (chunk: Uint8Array) => Promise<void>, mtime = 0): Promise<void> {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const unique = sorted.filter((e, i) => i === 0 || e.name !== sorted[i - 1].name);
  const pack = tarStream.pack();
  // Failures reach us through the iterator and entry callbacks; without a
  // listener an 'error' event would also crash the process.
  pack.on('error', () => {});
  let first: unknown;
  const fail = (err: unknown) => {
    first ??= err;
    pack.destroy(err as Error);
  };

  const produce = (async () => {
    for (const e of unique) await addEntry(pack, e, new Date(mtime * 1000));
    pack.finalize();
  })().catch(fail);

  try {
    for await (const chunk of pack as AsyncIterable<Uint8Array>) await write(chunk);
  } catch (err) {
    fail(err);
  }
  await produce;
  if (first !== undefined) throw first;
}

function addEntry(pack: tarStream.Pack, e: TarEntry, mtime: Date): Promise<void> {
  const header = { name: e.name, type: e.type, mode: e.mode, mtime, uid: 0, gid: 0, uname: '', gname: '' };
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (e.type === 'directory') {
      pack.entry({ ...header, size: 0 }, done);
      return;
    }
    if (e.body instanceof Uint8Array) {
      if (e.body.length !== e.size) return reject(new Error(`tar entry ${e.name}: body is ${e.body.length} bytes, header says ${e.size}`));
      pack.entry({ ...header, size: e.size }, e.body, done);
      return;
    }
    const sink = pack.entry({ ...header, size: e.size }, done);
    sink.on('error', () => {}); // reported through `done` / reject below
    const body = e.body;
    (async () => {
      for await (const chunk of body()) await writeChunk(sink, chunk);
      sink.end(null); // streamx's typings want an argument; null writes nothing
    })().catch((err) => {
      // destroying the entry destroys the pack too, which stops the reader
      sink.destroy(err);
      reject(err);
    });
  });
}

/** Write with backpressure; rejects if the entry is torn down while waiting. */
function writeChunk(sink: Sink, chunk: Uint8Array): Promise<void> {
  if (sink.write(chunk)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const off = () => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
      sink.off('error', onError);
    };
    const onDrain = () => (off(), resolve());
    const onClose = () => (off(), reject(new Error('tar stream closed while writing')));
    const onError = (err: Error) => (off(), reject(err));
    sink.on('drain', onDrain);
    sink.on('close', onClose);
    sink.on('error', onError);
  });
}
