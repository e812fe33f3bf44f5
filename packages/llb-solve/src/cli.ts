// llb-solve [FILE|-]: build graph in, solved image records out, progress on stderr.
import process from 'node:process';
import yargs from 'yargs';
import { closeStdout, openInput, runCli, writeStdout, UsageError, VERSION } from '@pipekit/wire';
import { runSolve } from './run.ts';
import { needsRootless, reexecRootless } from './rootless.ts';

// repeatable flags without `array: true`, which would swallow the FILE positional
const many = (v: unknown): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String));
const list = (v: string[] | undefined) => (v ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);

void runCli('llb-solve', async () => {
  const argv = await yargs(process.argv.slice(2))
    .scriptName('llb-solve')
    .version(VERSION)
    .usage('$0 [FILE|-]\n\nSolve a build graph (df-parse output) against the store; image records on stdout.')
    .option('store', { type: 'string', describe: 'store directory (default: $CAS_STORE_DIR, else XDG data dir)' })
    .option('progress', { type: 'string', describe: 'auto|tty|plain|rawjson|quiet (default: $BUILDKIT_PROGRESS or auto)' })
    .option('max-parallelism', { type: 'number', describe: 'steps that run at once (default: max-parallelism of buildkitd.toml, else the number of cores)' })
    .option('no-cache', { type: 'boolean', default: false, describe: 'do not use the cache' })
    .option('no-cache-filter', { type: 'string', array: true, describe: 'stages that do not use the cache' })
    .option('explain', { type: 'boolean', default: false, describe: 'say why each step missed the cache' })
    .option('rootless', { type: 'boolean', describe: 'run steps in a user namespace (default: when not root)' })
    .option('allow', { type: 'string', array: true, describe: 'entitlements: network.host, security.insecure' })
    .option('insecure-registry', { type: 'string', array: true, describe: 'registry host reached over plain HTTP' })
    .option('secret', { type: 'string', describe: 'id=ID[,src=PATH|,env=VAR][,type=file|env][,cache=content]' })
    .option('ssh', { type: 'string', describe: 'default | default=SOCKET | ID=KEYFILE[,KEYFILE]' })
    .option('session', { type: 'string', describe: 'socket of a secret-agent serve (token in $PIPEKIT_SESSION_TOKEN)' })
    .option('cache-to', { type: 'string', describe: 'export cache (repeatable): type=local,dest=DIR | type=registry,ref=REF | type=inline [,mode=min|max][,cache-mounts=true]' })
    .option('cache-from', { type: 'string', describe: 'import cache (repeatable): type=local,src=DIR | type=registry,ref=REF | REF' })
    .option('registry-ca', { type: 'string', describe: '[HOST=]FILE: trust this PEM CA for registries (repeatable)' })
    .option('precompress', { type: 'string', choices: ['gzip', 'zstd', 'none'], default: 'gzip', describe: 'compress built layers for the export while containers run (match export-oci --compression)' })
    .option('gc-config', { type: 'string', describe: 'buildkitd.toml with the GC policy run after the build (default: $CAS_STORE_CONFIG or <store>/buildkitd.toml)' })
    .parserConfiguration({ 'boolean-negation': false })
    .strictOptions()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .help()
    .parse();
  // not root: build in a user namespace (this same command, run again there)
  if (needsRootless(argv.rootless)) return reexecRootless(argv.store);
  const file = argv._[0] as string | undefined;
  await runSolve({
    input: openInput(file, 'a build graph'),
    store: argv.store,
    progress: argv.progress,
    maxParallelism: argv['max-parallelism'],
    noCache: argv['no-cache'],
    noCacheFilter: list(argv['no-cache-filter']),
    explain: argv.explain,
    allow: list(argv.allow),
    insecureRegistries: list(argv['insecure-registry']),
    secrets: many(argv.secret),
    ssh: many(argv.ssh),
    session: argv.session,
    cacheTo: many(argv['cache-to']),
    cacheFrom: many(argv['cache-from']),
    registryCAs: many(argv['registry-ca']),
    gcConfig: argv['gc-config'],
    precompress: argv.precompress as 'gzip' | 'zstd' | 'none',
    writeOut: writeStdout,
    closeOut: closeStdout,
    writeErr: (s) => process.stderr.write(s),
    stderrIsTty: Boolean(process.stderr.isTTY),
  });
});
