// df-parse [FILE|-]: Dockerfile in, build graph (NDJSON) out.
import process from 'node:process';
import { cliArgs, closeStdout, openInput, runCli, UsageError, writeStdout, type FlagSpecs } from '@pipekit/wire';
import { runParse } from './run.ts';

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of openInput('-', 'a Dockerfile')) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

const USAGE = 'df-parse [FILE|-]\n\nConvert a Dockerfile into a build graph (NDJSON on stdout).';

const FLAGS: FlagSpecs = {
  context: { type: 'string', describe: 'build context directory (default: current directory)' },
  target: { type: 'string', describe: 'stage to build (default: the last)' },
  'build-arg': { type: 'string', multiple: true, describe: 'KEY=VALUE, or KEY to take it from the environment' },
  platform: { type: 'string', describe: 'target platform(s), e.g. linux/amd64 or linux/amd64,linux/arm64 (default: this machine)' },
  'build-context': { type: 'string', multiple: true, describe: 'NAME=DIR|docker-image://REF|oci-layout://DIR[:tag]: stands in for the stage or image NAME' },
  format: { type: 'string', describe: 'ndjson (the graph, default) or dot (Graphviz)' },
  store: { type: 'string', describe: 'store directory for base-image metadata' },
  'insecure-registry': { type: 'string', multiple: true, describe: 'registry host reached over plain HTTP' },
};

void runCli('df-parse', async () => {
  const args = await cliArgs(process.argv.slice(2), USAGE, FLAGS);
  if (!args) return;
  const { flags: f, positionals } = args;
  if (positionals.length > 1) throw new UsageError(`expected one Dockerfile, got ${positionals.length}`);
  const out = await runParse({
    file: positionals[0] ?? '-',
    readStdin,
    contextDir: f.context as string | undefined,
    target: f.target as string | undefined,
    buildArgs: f['build-arg'] as string[] | undefined,
    platform: f.platform as string | undefined,
    buildContexts: f['build-context'] as string[] | undefined,
    format: f.format as string | undefined,
    store: f.store as string | undefined,
    insecureRegistries: f['insecure-registry'] as string[] | undefined,
    warn: (m) => process.stderr.write(`df-parse: warning: ${m}\n`),
  });
  await writeStdout(out);
  // the graph is whole: llb-solve starts on it now, not when this process has exited
  await closeStdout();
});
