import { test } from 'uvu';
import * as assert from 'uvu/assert';
import process from 'node:process';
import { UsageError } from './errors.ts';
import { formatPlatform, hostPlatform, parsePlatform, platformMatches } from './platform.ts';
import type { Platform } from './ops.ts';

const P = (os: string, architecture: string, variant = ''): Platform => ({ os, architecture, variant });

// [input, parsed, formatted back]
const PARSE: [string, Platform, string][] = [
  ['linux/amd64', P('linux', 'amd64'), 'linux/amd64'],
  ['linux/x86_64', P('linux', 'amd64'), 'linux/amd64'],
  ['linux/x86-64', P('linux', 'amd64'), 'linux/amd64'],
  ['LINUX/AMD64', P('linux', 'amd64'), 'linux/amd64'],
  ['  linux/amd64\n', P('linux', 'amd64'), 'linux/amd64'],
  ['linux/arm64', P('linux', 'arm64', 'v8'), 'linux/arm64'],
  ['linux/aarch64', P('linux', 'arm64', 'v8'), 'linux/arm64'],
  ['linux/arm64/v8', P('linux', 'arm64', 'v8'), 'linux/arm64'],
  ['linux/ARM64/V8', P('linux', 'arm64', 'v8'), 'linux/arm64'],
  ['linux/arm64/v9', P('linux', 'arm64', 'v9'), 'linux/arm64/v9'],
  ['linux/arm/v7', P('linux', 'arm', 'v7'), 'linux/arm/v7'],
  ['linux/arm/v6', P('linux', 'arm', 'v6'), 'linux/arm/v6'],
  ['linux/arm', P('linux', 'arm'), 'linux/arm'],
  ['linux/386', P('linux', '386'), 'linux/386'],
  ['linux/ppc64le', P('linux', 'ppc64le'), 'linux/ppc64le'],
  ['linux/s390x', P('linux', 's390x'), 'linux/s390x'],
  ['linux/riscv64', P('linux', 'riscv64'), 'linux/riscv64'],
  ['windows/amd64', P('windows', 'amd64'), 'windows/amd64'],
  ['linux/amd64/v3', P('linux', 'amd64', 'v3'), 'linux/amd64/v3'],
];

for (const [input, want, formatted] of PARSE) {
  test(`parsePlatform(${JSON.stringify(input)})`, () => {
    const p = parsePlatform(input);
    assert.equal(p, want);
    assert.is(formatPlatform(p), formatted);
    // formatting and parsing again is stable
    assert.equal(parsePlatform(formatPlatform(p)), want);
  });
}

const INVALID = ['', 'linux', 'amd64', 'linux/', '/amd64', 'linux//amd64', 'linux/amd64/', 'linux/arm/v7/x', '/', '//', 'linux//v7'];
for (const s of INVALID) {
  test(`parsePlatform rejects ${JSON.stringify(s)}`, () => {
    try {
      parsePlatform(s);
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, UsageError);
      assert.is((err as Error).message, `invalid platform ${JSON.stringify(s)}: expected os/arch[/variant], e.g. linux/amd64`);
      assert.is((err as UsageError).exitCode, 2);
    }
  });
}

test('formatPlatform', () => {
  const cases: [Platform, string][] = [
    [P('linux', 'amd64'), 'linux/amd64'],
    [P('linux', 'arm64', 'v8'), 'linux/arm64'],
    [P('linux', 'arm64'), 'linux/arm64'],
    [P('linux', 'arm64', 'v9'), 'linux/arm64/v9'],
    [P('linux', 'arm', 'v8'), 'linux/arm/v8'],
    [P('linux', 'arm', 'v7'), 'linux/arm/v7'],
  ];
  for (const [p, s] of cases) assert.is(formatPlatform(p), s);
});

// [want, got, matches]
const MATCH: [string, { os?: string; architecture?: string; variant?: string }, boolean][] = [
  ['linux/amd64', { os: 'linux', architecture: 'amd64' }, true],
  ['linux/amd64', { os: 'linux', architecture: 'amd64', variant: '' }, true],
  ['linux/amd64', { os: 'linux', architecture: 'amd64', variant: 'v2' }, true],
  ['linux/amd64/v3', { os: 'linux', architecture: 'amd64' }, true],
  ['linux/amd64/v3', { os: 'linux', architecture: 'amd64', variant: 'v3' }, true],
  ['linux/amd64/v3', { os: 'linux', architecture: 'amd64', variant: 'v2' }, false],
  ['linux/amd64', { os: 'linux', architecture: 'arm64' }, false],
  ['linux/amd64', { os: 'windows', architecture: 'amd64' }, false],
  ['linux/amd64', { architecture: 'amd64' }, false],
  ['linux/amd64', { os: 'linux' }, false],
  ['linux/amd64', {}, false],
  ['linux/arm64', { os: 'linux', architecture: 'arm64' }, true],
  ['linux/arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }, true],
  ['linux/arm64', { os: 'linux', architecture: 'arm64', variant: '' }, true],
  ['linux/arm64', { os: 'linux', architecture: 'arm64', variant: 'v9' }, false],
  ['linux/arm64/v9', { os: 'linux', architecture: 'arm64', variant: 'v9' }, true],
  ['linux/arm64/v9', { os: 'linux', architecture: 'arm64', variant: 'v8' }, true],
  ['linux/arm64/v9', { os: 'linux', architecture: 'arm64' }, true],
  ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }, true],
  ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v6' }, false],
  ['linux/arm/v7', { os: 'linux', architecture: 'arm' }, true],
  ['linux/arm', { os: 'linux', architecture: 'arm', variant: 'v6' }, true],
  ['linux/arm64', { os: 'linux', architecture: 'arm', variant: 'v8' }, false],
];

for (const [want, got, ok] of MATCH) {
  test(`platformMatches(${want}, ${JSON.stringify(got)}) is ${ok}`, () => {
    assert.is(platformMatches(parsePlatform(want), got), ok);
  });
}

test('hostPlatform is linux with a Go architecture name', () => {
  const p = hostPlatform();
  assert.is(p.os, 'linux');
  const goarch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', s390x: 's390x', riscv64: 'riscv64', ppc64: 'ppc64le' };
  assert.is(p.architecture, goarch[process.arch] ?? process.arch);
  assert.is(p.variant, p.architecture === 'arm64' ? 'v8' : '');
  assert.ok(platformMatches(p, { os: 'linux', architecture: p.architecture }));
  assert.equal(parsePlatform(formatPlatform(p)), p);
});

test.run();
