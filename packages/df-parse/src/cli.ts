// df-parse [FILE|-]: Dockerfile in, build graph (NDJSON) out.
import process from 'node:process';
import yargs from 'yargs';
import { runCli, UsageError, writeStdout, VERSION } from '@pipekit/wire';
import { runParse } from './run.ts';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new UsageError('refusing to read a Dockerfile from a terminal: name a file (df-parse Dockerfile) or pipe one in');
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

void runCli('df-parse', async () => {
  const argv = await yargs(process.argv.slice(2))
    .scriptName('df-parse')
    .version(VERSION)
    .usage('$0 [FILE|-]\n\nConvert a Dockerfile into a build graph (NDJSON on stdout).')
    .option('context', { type: 'string', describe: 'build context directory (default: current directory)' })
    .option('target', { type: 'string', describe: 'stage to build (default: the last)' })
    .option('build-arg', { type: 'string', array: true, describe: 'KEY=VALUE, or KEY to take it from the environment' })
    .option('platform', { type: 'string', describe: 'target platform(s), e.g. linux/amd64 or linux/amd64,linux/arm64 (default: this machine)' })
    .option('build-context', { type: 'string', array: true, describe: 'NAME=DIR|docker-image://REF|oci-layout://DIR[:tag]: stands in for the stage or image NAME' })
    .option('format', { type: 'string', describe: 'ndjson (the graph, default) or dot (Graphviz)' })
    .option('store', { type: 'string', describe: 'store directory for base-image metadata' })
    .option('insecure-registry', { type: 'string', array: true, describe: 'registry host reached over plain HTTP' })
    .parserConfiguration({ 'boolean-negation': false })
    .strictOptions()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .help()
    .parse();
  if (argv._.length > 1) throw new UsageError(`expected one Dockerfile, got ${argv._.length}`);
  const out = await runParse({
    file: argv._.length ? String(argv._[0]) : '-',
    readStdin,
    contextDir: argv.context,
    target: argv.target,
    buildArgs: argv['build-arg'],
    platform: argv.platform,
    buildContexts: argv['build-context'],
    format: argv.format,
    store: argv.store,
    insecureRegistries: argv['insecure-registry'],
    warn: (m) => process.stderr.write(`df-parse: warning: ${m}\n`),
  });
  await writeStdout(out);
});
