// export-oci as a library call: read image records, export them, say where.
import path from 'node:path';
import { readImages, UsageError } from '@pipekit/wire';
import { resolveStoreDir } from '@pipekit/cas-store';
import { exportImages, type ExportResult } from './export.ts';

export type ExportCommand = {
  input: AsyncIterable<Uint8Array>;
  type?: string;
  dest?: string;
  name?: string;
  store?: string;
  /** buildx-style `type=oci,dest=out.tar,name=x` */
  output?: string;
  progress?: (line: string) => void;
  stdout?: NodeJS.WritableStream;
};

/** Parse buildx's CSV output spec. */
export function parseOutputSpec(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid output ${JSON.stringify(spec)}: expected key=value pairs like type=oci,dest=out.tar`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

export async function runExport(cmd: ExportCommand): Promise<ExportResult> {
  const spec = cmd.output ? parseOutputSpec(cmd.output) : {};
  const type = cmd.type ?? spec.type ?? 'oci';
  const dest = cmd.dest ?? spec.dest;
  const name = cmd.name ?? spec.name;
  if (!dest) throw new UsageError('no destination: give --dest FILE (or - for stdout)');
  if (type !== 'oci' && type !== 'docker') throw new UsageError(`unsupported output type ${JSON.stringify(type)}: expected oci or docker`);
  const images = await readImages(cmd.input);
  // the store llb-solve used is named in its records; an explicit --store wins
  const storeDir = cmd.store ? resolveStoreDir(cmd.store) : images[0].store ? path.resolve(images[0].store) : resolveStoreDir();
  cmd.progress?.(`exporting to ${type} image format`);
  return exportImages(images, { type, dest, name, storeDir, stdout: cmd.stdout, progress: cmd.progress });
}
