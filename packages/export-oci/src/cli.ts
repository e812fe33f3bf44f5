// export-oci [FILE|-]: solved image records in, an OCI/docker tarball out.
import process from 'node:process';
import yargs from 'yargs';
import { openInput, runCli, UsageError, writeStdout } from '@pipekit/wire';
import { runExport } from './run.ts';

await runCli('export-oci', async () => {
  const argv = await yargs(process.argv.slice(2))
    .scriptName('export-oci')
    .usage('$0 [FILE|-] --dest out.tar\n\nExport llb-solve image records as an OCI (or docker) image tarball.\nPrints the manifest digest on stdout when writing to a file.')
    .option('dest', { type: 'string', describe: 'output file, or - for stdout' })
    .option('type', { type: 'string', choices: ['oci', 'docker'], describe: 'tarball flavour (default oci)' })
    .option('name', { type: 'string', describe: 'image name, e.g. example:latest' })
    .option('output', { alias: 'o', type: 'string', describe: 'buildx form: type=oci,dest=out.tar[,name=REF]' })
    .option('store', { type: 'string', describe: 'store directory (default: the one named in the records)' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress on stderr' })
    .parserConfiguration({ 'boolean-negation': false })
    .strictOptions()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .help()
    .parse();
  const file = argv._[0] as string | undefined;
  const res = await runExport({
    input: openInput(file, 'image records'),
    type: argv.type,
    dest: argv.dest,
    name: argv.name,
    output: argv.output,
    store: argv.store,
    progress: argv.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  const dest = argv.dest ?? (argv.output ? /(?:^|,)dest=([^,]*)/.exec(argv.output)?.[1] : undefined);
  if (dest !== '-') await writeStdout(`${res.digest}\n`);
});
