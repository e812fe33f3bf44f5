import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from './errors.ts';
import { helpText, parseFlags, type FlagSpecs } from './flags.ts';

const SPECS: FlagSpecs = {
  dest: { type: 'string', describe: 'where' },
  output: { alias: 'o', type: 'string', multiple: true, describe: 'outputs' },
  type: { type: 'string', choices: ['oci', 'docker'], describe: 'kind' },
  threads: { type: 'number', describe: 'n' },
  quiet: { alias: 'q', type: 'boolean', default: false, describe: 'hush' },
  all: { alias: 'a', type: 'boolean', describe: 'all' },
  force: { alias: 'f', type: 'boolean', describe: 'force' },
  'no-cache': { type: 'boolean', describe: 'its own flag' },
  'oci-mediatypes': { type: 'boolean', describe: 'negatable' },
  precompress: { type: 'string', default: 'gzip', describe: 'with a default' },
};

// [args, flags expected (only those given or defaulted), positionals]
const OK: [string[], Record<string, unknown>, string[]][] = [
  [[], { quiet: false, precompress: 'gzip' }, []],
  [['in.ndjson'], { quiet: false, precompress: 'gzip' }, ['in.ndjson']],
  [['-'], { quiet: false, precompress: 'gzip' }, ['-']],
  [['--dest', '-'], { dest: '-', quiet: false, precompress: 'gzip' }, []],
  [['--dest=-', 'f'], { dest: '-', quiet: false, precompress: 'gzip' }, ['f']],
  [['--dest', '--odd'], { dest: '--odd', quiet: false, precompress: 'gzip' }, []],
  [['-o', 'type=oci,dest=a', '-o', 'type=tar,dest=-'], { output: ['type=oci,dest=a', 'type=tar,dest=-'], quiet: false, precompress: 'gzip' }, []],
  [['-o=type=oci', '--output', 'x'], { output: ['type=oci', 'x'], quiet: false, precompress: 'gzip' }, []],
  [['--type', 'docker'], { type: 'docker', quiet: false, precompress: 'gzip' }, []],
  [['--threads', '4'], { threads: 4, quiet: false, precompress: 'gzip' }, []],
  [['-q', 'file'], { quiet: true, precompress: 'gzip' }, ['file']],
  [['--quiet=false'], { quiet: false, precompress: 'gzip' }, []],
  [['-af'], { all: true, force: true, quiet: false, precompress: 'gzip' }, []],
  [['--no-cache'], { 'no-cache': true, quiet: false, precompress: 'gzip' }, []],
  [['--oci-mediatypes=false'], { 'oci-mediatypes': false, quiet: false, precompress: 'gzip' }, []],
  [['--precompress', 'none'], { quiet: false, precompress: 'none' }, []],
  [['--', '--dest', 'x'], { quiet: false, precompress: 'gzip' }, ['--dest', 'x']],
  [['a', '--dest', 'd', 'b'], { dest: 'd', quiet: false, precompress: 'gzip' }, ['a', 'b']],
];

for (const [args, flags, positionals] of OK) {
  test(`parses ${JSON.stringify(args)}`, () => {
    const r = parseFlags(args, SPECS);
    assert.is(r.kind, 'run');
    if (r.kind !== 'run') return;
    assert.equal(Object.fromEntries(Object.entries(r.flags).filter(([, v]) => v !== undefined)), flags);
    assert.equal(r.positionals, positionals);
  });
}

test('--no-NAME negates only where asked', () => {
  const r = parseFlags(['--no-oci-mediatypes'], SPECS, { negation: true });
  assert.ok(r.kind === 'run' && r.flags['oci-mediatypes'] === false);
  assert.throws(() => parseFlags(['--no-oci-mediatypes'], SPECS), /unknown option --no-oci-mediatypes/);
  const own = parseFlags(['--no-cache'], SPECS, { negation: true });
  assert.ok(own.kind === 'run' && own.flags['no-cache'] === true, 'a flag named no-X is itself');
});

const BAD: [string[], RegExp][] = [
  [['--bogus'], /^unknown option --bogus \(see --help\)$/],
  [['-z'], /^unknown option -z/],
  [['--dest'], /^--dest needs a value$/],
  [['--type', 'zip'], /^--type: invalid value "zip"; choose one of oci, docker$/],
  [['--threads', 'many'], /^--threads needs a number, got "many"$/],
  [['--threads', ''], /needs a number/],
  [['--quiet=maybe'], /^--quiet takes no value but true or false/],
  [['-aq=1'], /unknown option -aq/],
];

for (const [args, re] of BAD) {
  test(`refuses ${JSON.stringify(args)}`, () => {
    try {
      parseFlags(args, SPECS);
    } catch (err) {
      assert.instance(err, UsageError);
      assert.match((err as Error).message, re);
      return;
    }
    assert.unreachable('expected a UsageError');
  });
}

test('help and version win wherever they stand', () => {
  assert.is(parseFlags(['--dest', 'x', '--help'], SPECS).kind, 'help');
  assert.is(parseFlags(['-h'], SPECS).kind, 'help');
  assert.is(parseFlags(['x', '--version'], SPECS).kind, 'version');
  assert.is(parseFlags(['--dest', '--help'], SPECS).kind, 'run', 'a value that looks like a flag is a value');
});

test('help lists every flag with its alias, choices and default', () => {
  const text = helpText('tool [FILE]\n\nDoes a thing.', SPECS, { run: 'run it' });
  assert.match(text, /^tool \[FILE\]\n\nDoes a thing\.\n\nCommands:\n  run  run it\n/);
  assert.match(text, /-o, --output VALUE +outputs \(repeatable\)/);
  assert.match(text, /--type VALUE +kind \(one of: oci, docker\)/);
  assert.match(text, /--precompress VALUE +with a default \(default: gzip\)/);
  assert.match(text, /--threads N/);
  assert.match(text, /-h, --help +show this help/);
});

test.run();
