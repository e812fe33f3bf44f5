// Where the tarball goes. A file dest is written to a temp file beside it and
// renamed into place only after the whole tar is written, so a failed export
// never leaves a partial (or clobbered) dest. '-' streams to stdout, which
// cannot be undone, and refuses a terminal like docker save does.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, promises as fs, writeSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { NotFoundError, UsageError } from '@pipekit/wire';

/** Output written aside, waiting to be made visible (several outputs commit together, after all succeeded). */
export type Pending = {
  /** make the output visible (rename into place / nothing for a stream) */
  commit(): Promise<void>;
  /** drop what was written; safe to call more than once */
  abort(): Promise<void>;
};

export type Dest = Pending & {
  /** what the dest is, for messages */
  label: string;
  write(chunk: Uint8Array): Promise<void>;
  /** the sha256 of everything written to a file, once committed, when openDest was asked for it ('' otherwise) */
  digest(): string;
};

/** A new, empty directory beside `dest` (same filesystem, so it can be renamed onto it). */
export async function tempDirBeside(dest: string): Promise<string> {
  const abs = path.resolve(dest);
  const parent = path.dirname(abs);
  const st = await fs.stat(parent).catch(() => undefined);
  if (!st?.isDirectory()) throw new NotFoundError(`cannot write ${dest}: directory ${parent} does not exist`);
  return fs.mkdtemp(path.join(parent, `.${path.basename(abs)}.tmp-`));
}

type TtyAware = NodeJS.WritableStream & { isTTY?: boolean };

/** Check the dest before any work is done (a UsageError should not cost a layer compression). */
export async function checkDest(dest: string, stdout?: NodeJS.WritableStream): Promise<void> {
  if (!dest) throw new UsageError('no destination given for the tarball');
  if (dest === '-') {
    const out = (stdout ?? process.stdout) as TtyAware;
    if (out.isTTY) throw new UsageError('refusing to write a tarball to a terminal: redirect stdout or use --dest FILE');
    return;
  }
  const st = await fs.stat(dest).catch(() => undefined);
  if (st?.isDirectory()) throw new UsageError(`destination ${dest} is a directory; give a file name such as ${path.join(dest, 'image.tar')}`);
  const dir = await fs.stat(path.dirname(path.resolve(dest))).catch(() => undefined);
  if (!dir?.isDirectory()) throw new NotFoundError(`cannot write ${dest}: directory ${path.dirname(path.resolve(dest))} does not exist`);
}

/** `digest`: hash what is written (the caller prints it); an image's tarball is named by its manifest instead. */
export async function openDest(dest: string, stdout?: NodeJS.WritableStream, opts: { digest?: boolean } = {}): Promise<Dest> {
  await checkDest(dest, stdout);
  return dest === '-' ? streamDest(stdout ?? process.stdout) : fileDest(dest, opts.digest ?? false);
}

async function fileDest(dest: string, digest: boolean): Promise<Dest> {
  const abs = path.resolve(dest);
  // Same directory as dest so the final rename cannot cross filesystems.
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.tmp-${randomBytes(6).toString('hex')}`);
  // synchronous writes: chunks come in about 1 MiB, and a thread-pool round trip each cost more than the write
  const fd = openSync(tmp, 'wx', 0o644);
  const hash = digest ? createHash('sha256') : undefined;
  let sum = '';
  let open = true;
  const close = () => {
    if (open) {
      open = false;
      closeSync(fd);
    }
  };
  return {
    label: dest,
    digest: () => sum,
    async write(chunk) {
      hash?.update(chunk);
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    },
    async commit() {
      fsyncSync(fd);
      close();
      await fs.rename(tmp, abs);
      if (hash) sum ||= `sha256:${hash.digest('hex')}`;
    },
    async abort() {
      try {
        close();
      } catch {
        // already failed: the temp file goes anyway
      }
      await fs.rm(tmp, { force: true });
    },
  };
}

function streamDest(out: NodeJS.WritableStream): Dest {
  // The stream is the caller's (usually process.stdout): it is never ended here.
  let failed: Error | undefined;
  const onError = (err: Error) => (failed ??= err);
  out.on('error', onError);
  return {
    label: 'stdout',
    digest: () => '',
    write(chunk) {
      if (failed) return Promise.reject(failed);
      if (out.write(chunk)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const off = () => {
          out.off('drain', onDrain);
          out.off('error', onErr);
          out.off('close', onClose);
        };
        const onDrain = () => (off(), resolve());
        const onErr = (err: Error) => (off(), reject(err));
        const onClose = () => (off(), reject(failed ?? new Error('output stream closed')));
        out.on('drain', onDrain);
        out.on('error', onErr);
        out.on('close', onClose);
      });
    },
    async commit() {
      out.off('error', onError);
      if (failed) throw failed;
    },
    async abort() {
      out.off('error', onError);
    },
  };
}
