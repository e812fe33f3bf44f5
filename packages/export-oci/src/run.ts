// export-oci as one library call: read image records, then write every output
// (`-o` specs, or the --type/--dest flags), sharing the layer work between them.
// Outputs are written aside and made visible together once all have succeeded;
// on failure every one is dropped (a push, once sent, cannot be taken back).
import path from 'node:path';
import { createHash } from 'node:crypto';
import { BlobStore, resolveStoreDir } from '@pipekit/cas-store';
import { UsageError, readImages } from '@pipekit/wire';
import { annotationFlagToOption } from './annotations.ts';
import { CompressPool } from './compress-pool.ts';
import { LEVELS } from './compress.ts';
import { checkDest, type Pending } from './dest.ts';
import { checkStores, prepareImageOutput, readEpoch, type ExportResult } from './export.ts';
import { writeFilesystem } from './fs-output.ts';
import type { ExportContext } from './image.ts';
import { writeMetadataFiles } from './metadata.ts';
import { parseOutput, type OutputSpec } from './output-spec.ts';

export type ExportCommand = {
  input: AsyncIterable<Uint8Array>;
  /** buildx-style specs: `type=oci,dest=out.tar,name=x`; several allowed */
  outputs?: string[];
  /** the flag form of one output: --type/--dest/--name, --push */
  type?: string;
  dest?: string;
  name?: string;
  push?: boolean;
  /** defaults for every image output */
  compression?: string;
  compressionLevel?: string;
  forceCompression?: boolean;
  ociMediatypes?: boolean;
  annotations?: string[];
  store?: string;
  insecureRegistries?: string[];
  metadataFile?: string;
  iidfile?: string;
  /** compression threads (default: one per core) */
  threads?: number;
  progress?: (line: string) => void;
  stdout?: NodeJS.WritableStream;
};

/** What the CLI prints on stdout when nothing went there: the image digest, else the tarball's sha256. */
export type RunResult = { images: ExportResult[]; stdoutLine: string };

/** Milliseconds of waiting for the records after which the compression threads are started. */
const WARM_AFTER_MS = 500;

/** The codec and level an output will compress with, to warm the threads with. */
function warmCodec(spec: OutputSpec): { codec: 'gzip' | 'zstd'; level: number } {
  const codec = spec.compression === 'zstd' ? 'zstd' : 'gzip';
  return { codec, level: spec.level ?? LEVELS[codec].default };
}

export async function runExport(cmd: ExportCommand): Promise<RunResult> {
  const specs = outputSpecs(cmd);
  const toStdout = specs.filter((s) => s.dest === '-');
  if (toStdout.length > 1) throw new UsageError('only one output can go to stdout (dest=-)');
  for (const s of specs) if (s.tar && s.type !== 'local' && s.type !== 'image') await checkDest(s.dest, cmd.stdout);
  const pool = new CompressPool({ threads: cmd.threads });
  // closed as soon as the last image's layers are done: its threads wind down while the layout is written
  let closing: Promise<void> | undefined;
  const pending: Pending[] = [];
  const results: ExportResult[] = [];
  let tarDigest = '';
  try {
    // input still pending after a while means the build upstream is running:
    // start the compression threads meanwhile instead of after it
    const compressing = specs.find((s) => s.type !== 'local' && s.type !== 'tar' && s.compression !== 'uncompressed');
    // at nice 19: the build upstream may want the CPU more than threads that may never be used
    const warm = setTimeout(() => compressing && pool.warm(warmCodec(compressing), 19), WARM_AFTER_MS);
    // while the build upstream runs: every image export hashes its config and manifest
    setImmediate(() => createHash('sha256'));
    const images = await readImages(cmd.input).finally(() => clearTimeout(warm));
    // the store llb-solve used is named in its records; an explicit --store wins
    const storeDir = cmd.store ? resolveStoreDir(cmd.store) : images[0].store ? path.resolve(images[0].store) : resolveStoreDir();
    await checkStores(images, storeDir);
    const progress = cmd.progress ?? (() => {});
    const ctx: ExportContext = { storeDir, blobs: new BlobStore(storeDir), pool, epoch: readEpoch(), progress, layers: new Map() };
    const lastImage = specs.map((s) => s.type !== 'local' && s.type !== 'tar').lastIndexOf(true);
    for (const [i, spec] of specs.entries()) {
      progress(VERTEX[spec.type === 'image' && spec.push ? 'push' : spec.type]);
      if (spec.type === 'local' || spec.type === 'tar') {
        const out = await writeFilesystem(images, { ...spec, type: spec.type, blobs: ctx.blobs, storeDir, epoch: ctx.epoch, stdout: cmd.stdout, progress });
        pending.push({ commit: async () => void (await out.commit(), (tarDigest ||= out.digest())), abort: out.abort });
      } else {
        const layersDone = i === lastImage ? () => void (closing = pool.close()) : undefined;
        const { pending: p, result } = await prepareImageOutput(images, spec, ctx, { stdout: cmd.stdout, insecureRegistries: cmd.insecureRegistries, layersDone });
        pending.push(p);
        results.push(result);
      }
    }
    for (const p of pending) await p.commit();
  } catch (err) {
    for (const p of pending) await p.abort().catch(() => {});
    throw err;
  } finally {
    await (closing ?? pool.close());
  }
  await writeMetadataFiles(results, cmd);
  const line = toStdout.length ? '' : results.length ? results[results.length - 1].digest : tarDigest;
  return { images: results, stdoutLine: line };
}

const VERTEX: Record<string, string> = {
  oci: 'exporting to oci image format',
  docker: 'exporting to docker image format',
  image: 'exporting to image',
  push: 'exporting to image',
  tar: 'exporting to client tarball',
  local: 'exporting to client directory',
};

/** The outputs a command asks for: every -o, else the one the flags describe. */
export function outputSpecs(cmd: ExportCommand): OutputSpec[] {
  const defaults: [string, string][] = [];
  if (cmd.compression !== undefined) defaults.push(['compression', cmd.compression]);
  if (cmd.compressionLevel !== undefined) defaults.push(['compression-level', cmd.compressionLevel]);
  if (cmd.forceCompression !== undefined) defaults.push(['force-compression', String(cmd.forceCompression)]);
  if (cmd.ociMediatypes !== undefined) defaults.push(['oci-mediatypes', String(cmd.ociMediatypes)]);
  for (const a of cmd.annotations ?? []) defaults.push(annotationFlagToOption(a));
  if (cmd.name !== undefined) defaults.push(['name', cmd.name]);
  const specs = (cmd.outputs ?? []).map((o) => parseOutput(o, defaults));
  if (cmd.type !== undefined || cmd.dest !== undefined || cmd.push) {
    const type = cmd.push ? 'registry' : cmd.type ?? 'oci';
    const fields = [`type=${type}`, ...(cmd.dest !== undefined ? [`dest=${cmd.dest}`] : [])];
    specs.push(parseOutput(fields.map(csvField).join(','), defaults));
  }
  if (!specs.length) throw new UsageError('no output: give -o type=oci,dest=out.tar (or --dest FILE, or - for stdout)');
  return specs;
}

function csvField(f: string): string {
  return /[",]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f;
}
