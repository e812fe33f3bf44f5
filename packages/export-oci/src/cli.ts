// export-oci [FILE|-] -o SPEC...: llb-solve's image records in; OCI/docker
// tarballs or layout directories, a registry push, or the plain filesystem out.
import process from 'node:process';
import yargs from 'yargs';
import { openInput, runCli, UsageError, writeStdout, VERSION } from '@pipekit/wire';
import { runExport } from './run.ts';

// yargs reads a lone `-` as a positional argument, so `--dest -` / `-o -` are joined first
const args = process.argv.slice(2).flatMap((a, i, all) => (a === '-' && ['--dest', '-o', '--output'].includes(all[i - 1]) ? [] : a === '--dest' || a === '-o' || a === '--output' ? (all[i + 1] === '-' ? [`${a}=-`] : [a]) : [a]));
const list = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v.map(String) : [String(v)]);

void runCli('export-oci', async () => {
  const argv = await yargs(args)
    .scriptName('export-oci')
    .version(VERSION)
    .usage(
      '$0 [FILE|-] -o type=oci,dest=out.tar [-o ...]\n$0 [FILE|-] --dest out.tar [--type oci|docker|tar|local] [--name REF]\n\n' +
        'Export llb-solve image records: OCI/docker tarballs or layout directories, a registry push, or the\n' +
        'filesystem (type=tar|local). Prints the image digest on stdout unless the output itself goes there.',
    )
    .option('output', { alias: 'o', type: 'string', describe: 'buildx output spec, e.g. type=oci,dest=out.tar; repeatable' })
    .option('dest', { type: 'string', describe: 'output file or directory, - for stdout (with --type)' })
    .option('type', { type: 'string', choices: ['oci', 'docker', 'tar', 'local', 'image', 'registry'], describe: 'output type for --dest (default oci)' })
    .option('name', { alias: 't', type: 'string', describe: 'image name(s), comma-separated, e.g. app:1' })
    .option('push', { type: 'boolean', describe: 'push to the registry named by --name (type=registry)' })
    .option('compression', { type: 'string', choices: ['gzip', 'zstd', 'uncompressed'], describe: 'layer compression (default gzip)' })
    .option('compression-level', { type: 'string', describe: 'gzip 0-9 (default 6), zstd 1-22 (default 3)' })
    .option('force-compression', { type: 'boolean', describe: 'recompress base layers compressed another way' })
    .option('oci-mediatypes', { type: 'boolean', describe: 'OCI media types (default); false for Docker schema 2' })
    .option('annotation', { type: 'string', describe: '[TYPE[PLATFORMS]:]KEY=VALUE image annotation; repeatable' })
    .option('metadata-file', { type: 'string', describe: 'write buildx-style build metadata (JSON) here' })
    .option('iidfile', { type: 'string', describe: 'write the image ID (config digest) here' })
    .option('store', { type: 'string', describe: 'store directory (default: the one named in the records)' })
    .option('insecure-registry', { type: 'string', describe: 'reach HOST over plain HTTP; repeatable' })
    .option('threads', { type: 'number', describe: 'compression threads (default: one per core)' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress on stderr' })
    .parserConfiguration({ 'boolean-negation': true })
    .strictOptions()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .help()
    .parse();
  if (argv._.length > 1) throw new UsageError(`expected at most one input file, got ${argv._.join(' ')}`);
  const res = await runExport({
    input: openInput(argv._[0] as string | undefined, 'image records'),
    outputs: list(argv.output),
    type: argv.type,
    dest: argv.dest,
    name: argv.name,
    push: argv.push,
    compression: argv.compression,
    compressionLevel: argv['compression-level'],
    forceCompression: argv['force-compression'],
    ociMediatypes: argv['oci-mediatypes'],
    annotations: list(argv.annotation),
    metadataFile: argv['metadata-file'],
    iidfile: argv.iidfile,
    store: argv.store,
    insecureRegistries: list(argv['insecure-registry']),
    threads: argv.threads,
    progress: argv.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  if (res.stdoutLine) await writeStdout(`${res.stdoutLine}\n`);
});
