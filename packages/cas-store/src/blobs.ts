// Content-addressed blobs: blobs/sha256/<hex>. Writes go to tmp/ and are renamed
// into place only after digest and size check out, so a reader never sees a
// partial blob and a crash leaves only tmp files behind. Reads verify again.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync, createWriteStream, mkdirSync, promises as fs, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { IntegrityError, NotFoundError, isDigest } from '@pipekit/wire';

export type BlobInfo = { digest: string; size: number };
export type BlobSource = Uint8Array | string | AsyncIterable<Uint8Array>;

// inputs up to this size are hashed and written in one synchronous call
const SMALL = 4 * 1024 * 1024;

const READ_CHUNK = 1024 * 1024;

export class BlobStore {
  readonly root: string;
  readonly tmpDir: string;
  constructor(storeDir: string) {
    this.root = path.join(storeDir, 'blobs', 'sha256');
    this.tmpDir = path.join(storeDir, 'tmp');
  }

  path(digest: string): string {
    if (!isDigest(digest)) throw new IntegrityError(`not a sha256 digest: ${JSON.stringify(digest)}`);
    return path.join(this.root, digest.slice(7));
  }

  async has(digest: string): Promise<boolean> {
    return existsSync(this.path(digest));
  }

  async size(digest: string): Promise<number> {
    try {
      return statSync(this.path(digest)).size;
    } catch (err) {
      throw new NotFoundError(`cannot open blob ${short(digest)}: not found`, { cause: err });
    }
  }

  /** Store content; idempotent. Throws IntegrityError (and stores nothing) when `expect` does not match. */
  async put(src: BlobSource, expect: Partial<BlobInfo> = {}): Promise<BlobInfo> {
    const input: Iterable<Uint8Array> | AsyncIterable<Uint8Array> =
      typeof src === 'string' ? [Buffer.from(src)] : src instanceof Uint8Array ? [src] : src;
    // most blobs (small layers, configs, manifests) fit in memory: read up to
    // SMALL of the input first and, if that was all, write it in one call
    const it = Symbol.asyncIterator in input ? input[Symbol.asyncIterator]() : (input as Iterable<Uint8Array>)[Symbol.iterator]();
    const head: Uint8Array[] = [];
    let headBytes = 0;
    for (;;) {
      if (headBytes >= SMALL) return this.putStream(head, it, expect);
      const r = await it.next();
      if (r.done) return this.putSmall(head, expect);
      head.push(r.value);
      headBytes += r.value.length;
    }
  }

  private tmpName(): string {
    return path.join(this.tmpDir, `blob-${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  private checked(digest: string, size: number, expect: Partial<BlobInfo>): string {
    if (expect.digest && expect.digest !== digest) {
      throw new IntegrityError(`blob digest mismatch: expected ${expect.digest}, got ${digest}`);
    }
    if (expect.size !== undefined && expect.size !== size) {
      throw new IntegrityError(`blob ${short(digest)} size mismatch: expected ${expect.size} bytes, got ${size}`);
    }
    return this.path(digest);
  }

  /** Sync: one write, no stream, no thread-pool round trips (a layer commit per RUN step). */
  private putSmall(chunks: Uint8Array[], expect: Partial<BlobInfo>): BlobInfo {
    const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    const final = this.checked(digest, data.length, expect);
    mkdirSync(this.tmpDir, { recursive: true });
    const tmp = this.tmpName();
    try {
      writeFileSync(tmp, data, { mode: 0o444 });
      mkdirSync(this.root, { recursive: true });
      renameSync(tmp, final);
    } finally {
      rmSync(tmp, { force: true });
    }
    return { digest, size: data.length };
  }

  private async putStream(head: Uint8Array[], rest: Iterator<Uint8Array> | AsyncIterator<Uint8Array>, expect: Partial<BlobInfo>): Promise<BlobInfo> {
    await fs.mkdir(this.tmpDir, { recursive: true });
    const tmp = this.tmpName();
    const hash = createHash('sha256');
    let size = 0;
    const counted = async function* () {
      const all = async function* () {
        yield* head;
        for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
      };
      for await (const chunk of all()) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    };
    try {
      await pipeline(Readable.from(counted()), createWriteStream(tmp));
      const digest = `sha256:${hash.digest('hex')}`;
      const final = this.checked(digest, size, expect);
      await fs.mkdir(this.root, { recursive: true });
      await fs.chmod(tmp, 0o444);
      await fs.rename(tmp, final);
      return { digest, size };
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  /**
   * Stream a blob; the stream errors with IntegrityError if the content no
   * longer matches. Reads are synchronous, 1 MiB at a time: an export opens
   * every blob of an image, and thread-pool round trips (stat, open, reads,
   * close) cost more than the reads for the many small ones.
   */
  async *open(digest: string): AsyncGenerator<Uint8Array> {
    const p = this.path(digest);
    let fd: number;
    try {
      fd = openSync(p, 'r');
    } catch (err) {
      throw new NotFoundError(`cannot open blob ${short(digest)}: not found`, { cause: err });
    }
    const hash = createHash('sha256');
    let size = 0;
    try {
      const expected = fstatSync(fd).size;
      for (;;) {
        const buf = Buffer.allocUnsafe(Math.max(1, Math.min(READ_CHUNK, expected - size + 1)));
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        const chunk = n === buf.length ? buf : buf.subarray(0, n);
        hash.update(chunk);
        size += n;
        yield chunk;
      }
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== digest || size !== expected) {
        throw new IntegrityError(`blob ${short(digest)} is corrupt: content hashes to ${short(got)}`);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** The whole blob, checked as open() checks it; read into one buffer (a big layer is not copied again). */
  async read(digest: string): Promise<Buffer> {
    let fd: number;
    try {
      fd = openSync(this.path(digest), 'r');
    } catch (err) {
      throw new NotFoundError(`cannot open blob ${short(digest)}: not found`, { cause: err });
    }
    try {
      const expected = fstatSync(fd).size;
      const buf = Buffer.allocUnsafe(expected);
      let size = 0;
      while (size < expected) {
        const n = readSync(fd, buf, size, Math.min(READ_CHUNK, expected - size), null);
        if (n === 0) break;
        size += n;
      }
      // a blob that grew while read: more than fstat said is corrupt too
      const more = readSync(fd, Buffer.alloc(1), 0, 1, null);
      const got = `sha256:${createHash('sha256').update(buf.subarray(0, size)).digest('hex')}`;
      if (got !== digest || size !== expected || more !== 0) {
        throw new IntegrityError(`blob ${short(digest)} is corrupt: content hashes to ${short(got)}`);
      }
      return buf;
    } finally {
      closeSync(fd);
    }
  }

  async readJson<T = unknown>(digest: string): Promise<T> {
    return JSON.parse((await this.read(digest)).toString('utf8')) as T;
  }

  /** Idempotent. */
  async delete(digest: string): Promise<void> {
    await fs.rm(this.path(digest), { force: true });
  }

  async list(): Promise<string[]> {
    const names = await fs.readdir(this.root).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}

export function short(digest: string): string {
  return digest.startsWith('sha256:') ? `${digest.slice(0, 19)}..` : digest;
}
