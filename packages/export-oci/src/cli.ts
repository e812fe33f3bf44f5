// export-oci [FILE|-] -o SPEC...: llb-solve's image records in; OCI/docker
// tarballs or layout directories, a registry push, or the plain filesystem out.
import process from 'node:process';
import { cliArgs, openInput, runCli, UsageError, writeStdout, type FlagSpecs } from '@pipekit/wire';
import { runExport } from './run.ts';

const USAGE = 'export-oci [FILE|-] -o type=oci,dest=out.tar [-o ...]\nexport-oci [FILE|-] --dest out.tar [--type oci|docker|tar|local] [--name REF]\n\n' +
  'Export llb-solve image records: OCI/docker tarballs or layout directories, a registry push, or the\n' +
  'filesystem (type=tar|local). Prints the image digest on stdout unless the output itself goes there.';

const FLAGS: FlagSpecs = {
  output: { alias: 'o', type: 'string', multiple: true, describe: 'buildx output spec, e.g. type=oci,dest=out.tar' },
  dest: { type: 'string', describe: 'output file or directory, - for stdout (with --type)' },
  type: { type: 'string', choices: ['oci', 'docker', 'tar', 'local', 'image', 'registry'], describe: 'output type for --dest (default oci)' },
  name: { alias: 't', type: 'string', multiple: true, describe: 'image name(s), comma-separated, e.g. app:1' },
  push: { type: 'boolean', describe: 'push to the registry named by --name (type=registry)' },
  compression: { type: 'string', choices: ['gzip', 'zstd', 'uncompressed'], describe: 'layer compression (default gzip)' },
  'compression-level': { type: 'string', describe: 'gzip 0-9 (default 6), zstd 1-22 (default 3)' },
  'force-compression': { type: 'boolean', describe: 'recompress base layers compressed another way' },
  'oci-mediatypes': { type: 'boolean', describe: 'OCI media types (default); false for Docker schema 2' },
  annotation: { type: 'string', multiple: true, describe: '[TYPE[PLATFORMS]:]KEY=VALUE image annotation' },
  'metadata-file': { type: 'string', describe: 'write buildx-style build metadata (JSON) here' },
  iidfile: { type: 'string', describe: 'write the image ID (config digest) here' },
  store: { type: 'string', describe: 'store directory (default: the one named in the records)' },
  'insecure-registry': { type: 'string', multiple: true, describe: 'reach HOST over plain HTTP' },
  threads: { type: 'number', describe: 'compression threads (default: one per core)' },
  quiet: { alias: 'q', type: 'boolean', default: false, describe: 'no progress on stderr' },
};

void runCli('export-oci', async () => {
  const args = await cliArgs(process.argv.slice(2), USAGE, FLAGS, { negation: true });
  if (!args) return;
  const { flags: f, positionals } = args;
  if (positionals.length > 1) throw new UsageError(`expected at most one input file, got ${positionals.join(' ')}`);
  const res = await runExport({
    input: openInput(positionals[0], 'image records'),
    outputs: f.output as string[] | undefined,
    type: f.type as string | undefined,
    dest: f.dest as string | undefined,
    name: (f.name as string[] | undefined)?.join(','),
    push: f.push as boolean | undefined,
    compression: f.compression as string | undefined,
    compressionLevel: f['compression-level'] as string | undefined,
    forceCompression: f['force-compression'] as boolean | undefined,
    ociMediatypes: f['oci-mediatypes'] as boolean | undefined,
    annotations: f.annotation as string[] | undefined,
    metadataFile: f['metadata-file'] as string | undefined,
    iidfile: f.iidfile as string | undefined,
    store: f.store as string | undefined,
    insecureRegistries: f['insecure-registry'] as string[] | undefined,
    threads: f.threads as number | undefined,
    progress: f.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  if (res.stdoutLine) await writeStdout(`${res.stdoutLine}\n`);
});
