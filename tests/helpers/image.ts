// Looks into an exported OCI tarball with the real validators users run.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sh, tempDir } from './cli.ts';

export type Inspected = { config: { config: { Env?: string[]; Cmd?: string[]; WorkingDir?: string; Labels?: Record<string, string>; ExposedPorts?: Record<string, unknown> }; history: unknown[]; rootfs: { diff_ids: string[] } }; rootfs: string };

/** skopeo inspect + umoci unpack; returns the config and the unpacked rootfs path. */
export async function inspectOciTar(tar: string): Promise<Inspected> {
  const sk = await sh(`skopeo inspect --config oci-archive:${tar}`);
  if (sk.code !== 0) throw new Error(`skopeo inspect failed: ${sk.stderr}`);
  const dir = await tempDir('unpack');
  const un = await sh(`mkdir -p ${dir}/layout && tar -xf ${tar} -C ${dir}/layout && umoci unpack --image ${dir}/layout:latest ${dir}/bundle`);
  if (un.code !== 0) throw new Error(`umoci unpack failed: ${un.stderr}`);
  return { config: JSON.parse(sk.stdout.toString()), rootfs: path.join(dir, 'bundle', 'rootfs') };
}

export async function readRootfsFile(rootfs: string, p: string): Promise<string> {
  return fs.readFile(path.join(rootfs, p), 'utf8');
}
