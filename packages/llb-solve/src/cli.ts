// llb-solve [FILE|-]: build graph in, solved image records out, progress on stderr.
import process from 'node:process';
import { cliArgs, closeStdout, openInput, runCli, writeStdout, UsageError, type FlagSpecs } from '@pipekit/wire';
import { runSolve } from './run.ts';
import { needsRootless, reexecRootless } from './rootless.ts';

const list = (v: unknown) => ((v as string[] | undefined) ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
const many = (v: unknown) => (v as string[] | undefined) ?? [];

const USAGE = 'llb-solve [FILE|-]\n\nSolve a build graph (df-parse output) against the store; image records on stdout.';

const FLAGS: FlagSpecs = {
  store: { type: 'string', describe: 'store directory (default: $CAS_STORE_DIR, else XDG data dir)' },
  progress: { type: 'string', describe: 'auto|tty|plain|rawjson|quiet (default: $BUILDKIT_PROGRESS or auto)' },
  'max-parallelism': { type: 'number', describe: 'steps that run at once (default: max-parallelism of buildkitd.toml, else the number of cores)' },
  'no-cache': { type: 'boolean', default: false, describe: 'do not use the cache' },
  'no-cache-filter': { type: 'string', multiple: true, describe: 'stages that do not use the cache' },
  explain: { type: 'boolean', default: false, describe: 'say why each step missed the cache' },
  rootless: { type: 'boolean', describe: 'run steps in a user namespace (default: when not root)' },
  allow: { type: 'string', multiple: true, describe: 'entitlements: network.host, security.insecure' },
  'insecure-registry': { type: 'string', multiple: true, describe: 'registry host reached over plain HTTP' },
  secret: { type: 'string', multiple: true, describe: 'id=ID[,src=PATH|,env=VAR][,type=file|env][,cache=content]' },
  ssh: { type: 'string', multiple: true, describe: 'default | default=SOCKET | ID=KEYFILE[,KEYFILE]' },
  session: { type: 'string', describe: 'socket of a secret-agent serve (token in $PIPEKIT_SESSION_TOKEN)' },
  'cache-to': { type: 'string', multiple: true, describe: 'export cache: type=local,dest=DIR | type=registry,ref=REF | type=inline [,mode=min|max][,cache-mounts=true]' },
  'cache-from': { type: 'string', multiple: true, describe: 'import cache: type=local,src=DIR | type=registry,ref=REF | REF' },
  'registry-ca': { type: 'string', multiple: true, describe: '[HOST=]FILE: trust this PEM CA for registries' },
  precompress: { type: 'string', choices: ['gzip', 'zstd', 'none'], default: 'gzip', describe: 'compress built layers for the export while containers run (match export-oci --compression)' },
  'gc-config': { type: 'string', describe: 'buildkitd.toml with the GC policy run after the build (default: $CAS_STORE_CONFIG or <store>/buildkitd.toml)' },
};

void runCli('llb-solve', async () => {
  const args = await cliArgs(process.argv.slice(2), USAGE, FLAGS);
  if (!args) return;
  const { flags: f, positionals } = args;
  // not root: build in a user namespace (this same command, run again there)
  if (needsRootless(f.rootless as boolean | undefined)) return reexecRootless(f.store as string | undefined);
  if (positionals.length > 1) throw new UsageError(`expected one graph file, got ${positionals.length}`);
  await runSolve({
    input: openInput(positionals[0], 'a build graph'),
    store: f.store as string | undefined,
    progress: f.progress as string | undefined,
    maxParallelism: f['max-parallelism'] as number | undefined,
    noCache: f['no-cache'] as boolean,
    noCacheFilter: list(f['no-cache-filter']),
    explain: f.explain as boolean,
    allow: list(f.allow),
    insecureRegistries: list(f['insecure-registry']),
    secrets: many(f.secret),
    ssh: many(f.ssh),
    session: f.session as string | undefined,
    cacheTo: many(f['cache-to']),
    cacheFrom: many(f['cache-from']),
    registryCAs: many(f['registry-ca']),
    gcConfig: f['gc-config'] as string | undefined,
    precompress: f.precompress as 'gzip' | 'zstd' | 'none',
    writeOut: writeStdout,
    closeOut: closeStdout,
    writeErr: (s) => process.stderr.write(s),
    // asked only when the progress mode depends on it: making process.stderr costs ~5 ms of start-up
    stderrIsTty: () => Boolean(process.stderr.isTTY),
  });
});
