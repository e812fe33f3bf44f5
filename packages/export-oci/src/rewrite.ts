// rewrite-timestamp for layers built here: every entry's mtime is clamped to
// SOURCE_DATE_EPOCH and headers are normalised (no user/group names, no access
// or change times), so a rebuild that touched files at another time gives the
// same layer tar. Entry order, modes, owners, links and contents are kept.
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { IntegrityError } from '@pipekit/wire';

/** The tar `src` with headers normalised and mtimes clamped to `epoch` (unix seconds). */
export async function* rewriteTimestamps(src: AsyncIterable<Uint8Array>, epoch: number, label = 'layer'): AsyncGenerator<Uint8Array> {
  const extract = tarStream.extract();
  const pack = tarStream.pack();
  pack.on('error', () => {}); // surfaced through the iterator below
  const limit = epoch * 1000;
  let failure: unknown;
  const fail = (err: unknown) => {
    failure ??= err;
    extract.destroy(err as Error);
    pack.destroy(err as Error);
  };

  const copy = (async () => {
    try {
      Readable.from(src).on('error', fail).pipe(extract as unknown as NodeJS.WritableStream);
      for await (const entry of extract) {
        const h = entry.header;
        const mtime = h.mtime && h.mtime.getTime() < limit ? new Date(Math.floor(h.mtime.getTime() / 1000) * 1000) : new Date(limit);
        const header: Partial<tarStream.Header> & { name: string } = {
          name: h.name,
          type: h.type,
          mode: h.mode,
          uid: h.uid,
          gid: h.gid,
          uname: '',
          gname: '',
          size: h.type === 'file' || h.type === 'contiguous-file' ? h.size : 0,
          mtime,
          linkname: h.linkname ?? undefined,
          devmajor: h.devmajor,
          devminor: h.devminor,
        };
        // extended attributes are content (capabilities, ACLs): keep them
        const xattrs = Object.entries(h.pax ?? {}).filter(([k]) => k.startsWith('SCHILY.xattr.'));
        if (xattrs.length) header.pax = Object.fromEntries(xattrs);
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
          entry.on('error', reject);
          entry.pipe(sink as unknown as NodeJS.WritableStream);
        });
      }
      pack.finalize();
    } catch (err) {
      fail(new IntegrityError(`${label}: cannot rewrite timestamps: ${(err as Error).message}`, { cause: err }));
    }
  })();

  try {
    for await (const chunk of pack as AsyncIterable<Uint8Array>) yield chunk;
  } catch (err) {
    failure ??= err;
  }
  await copy;
  if (failure !== undefined) throw failure;
}
