import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseToml } from './toml.ts';

test('buildkitd.toml: tables, arrays of tables, comments, multi-line arrays', () => {
  const doc = parseToml([
    '# buildkitd.toml',
    'debug = true',
    '[worker.oci]',
    '  gc = true   # collect',
    '  reservedSpace = "2GB"',
    '  max-parallelism = 4',
    '  [[worker.oci.gcpolicy]]',
    '    filters = [ "type==source.local",',
    '                "type==exec.cachemount" ]',
    '    keepDuration = "48h"',
    '  [[worker.oci.gcpolicy]]',
    "    all = true",
    "    keepBytes = 1_024",
    '[registry."docker.io"]',
    '  mirrors = ["mirror.gcr.io"]',
    '  inline = { a = 1, b = "x#y" }',
  ].join('\n'));
  assert.equal(doc, {
    debug: true,
    worker: { oci: { gc: true, reservedSpace: '2GB', 'max-parallelism': 4, gcpolicy: [
      { filters: ['type==source.local', 'type==exec.cachemount'], keepDuration: '48h' },
      { all: true, keepBytes: 1024 },
    ] } },
    registry: { 'docker.io': { mirrors: ['mirror.gcr.io'], inline: { a: 1, b: 'x#y' } } },
  });
});

test('errors name the file and line', () => {
  assert.throws(() => parseToml('[worker]\nthis is not toml', 'cfg.toml'), /cfg\.toml:2: expected key = value/);
  assert.throws(() => parseToml('a = nope', 'cfg.toml'), /cfg\.toml:1: cannot read value "nope"/);
});

test.run();
