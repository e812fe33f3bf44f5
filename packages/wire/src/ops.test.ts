import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalDigest, canonicalJson } from './canonical.ts';
import { WireFormatError } from './errors.ts';
import { normalizeOp, opDigest, opKind, OP_KINDS, type Op } from './ops.ts';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

const CHOWN_FULL = { user: { id: 0, name: '', input: -1 }, group: null };

const FULL_COPY = {
  src: '/a', dest: '/b/', owner: null, mode: -1, modeStr: '', followSymlink: false, dirCopyContents: false,
  attemptUnpack: false, createDestPath: false, allowWildcard: false, allowEmptyWildcard: false, timestamp: -1,
  includePatterns: [], excludePatterns: [], requiredPaths: [], alwaysReplaceExistingDestPaths: false,
};

// [name, sparse op as a producer may write it, the same op with every field written out]
const EQUIVALENT: [string, unknown, Op][] = [
  [
    'source',
    { source: { identifier: 'docker-image://docker.io/library/alpine:3.20' } },
    { inputs: [], platform: null, source: { identifier: 'docker-image://docker.io/library/alpine:3.20', attrs: {} } },
  ],
  [
    'source with attrs and platform',
    { source: { identifier: 'local://context', attrs: { b: '2', a: '1' } }, platform: { os: 'linux', architecture: 'arm64' } },
    { inputs: [], platform: { os: 'linux', architecture: 'arm64', variant: '' }, source: { identifier: 'local://context', attrs: { a: '1', b: '2' } } },
  ],
  [
    'exec minimal',
    { inputs: [{ digest: D1 }], exec: { meta: { args: ['/bin/sh', '-c', 'true'] }, mounts: [{ input: 0, dest: '/', output: 0 }] } },
    {
      inputs: [{ digest: D1, index: 0 }],
      platform: null,
      exec: {
        meta: { args: ['/bin/sh', '-c', 'true'], env: [], cwd: '/', user: '', hostname: '', validExitCodes: [] },
        mounts: [{
          input: 0, selector: '', dest: '/', output: 0, readonly: false, type: 'bind',
          cache: null, tmpfs: null, secret: null, ssh: null,
        }],
        network: 'sandbox',
        security: 'sandbox',
        secretEnv: [],
      },
    },
  ],
  [
    'exec with cache, tmpfs, secret and ssh mounts',
    {
      inputs: [{ digest: D1, index: 0 }],
      exec: {
        meta: { args: ['make'], env: ['A=1'], cwd: '/src', validExitCodes: [0, 1] },
        mounts: [
          { input: 0, dest: '/', output: 0 },
          { dest: '/cache', type: 'cache', cache: { id: 'go' } },
          { dest: '/tmp', type: 'tmpfs', tmpfs: {} },
          { dest: '/run/secrets/tok', type: 'secret', secret: { id: 'tok' } },
          { dest: '/run/ssh', type: 'ssh', ssh: { id: 'default', optional: true } },
        ],
        network: 'none',
        secretEnv: [{ id: 'tok', name: 'TOKEN' }],
      },
    },
    {
      inputs: [{ digest: D1, index: 0 }],
      platform: null,
      exec: {
        meta: { args: ['make'], env: ['A=1'], cwd: '/src', user: '', hostname: '', validExitCodes: [0, 1] },
        mounts: [
          { input: 0, selector: '', dest: '/', output: 0, readonly: false, type: 'bind', cache: null, tmpfs: null, secret: null, ssh: null },
          { input: -1, selector: '', dest: '/cache', output: -1, readonly: false, type: 'cache', cache: { id: 'go', sharing: 'shared' }, tmpfs: null, secret: null, ssh: null },
          { input: -1, selector: '', dest: '/tmp', output: -1, readonly: false, type: 'tmpfs', cache: null, tmpfs: { size: 0 }, secret: null, ssh: null },
          {
            input: -1, selector: '', dest: '/run/secrets/tok', output: -1, readonly: false, type: 'secret', cache: null, tmpfs: null,
            secret: { id: 'tok', uid: 0, gid: 0, mode: 0o400, optional: false }, ssh: null,
          },
          {
            input: -1, selector: '', dest: '/run/ssh', output: -1, readonly: false, type: 'ssh', cache: null, tmpfs: null, secret: null,
            ssh: { id: 'default', uid: 0, gid: 0, mode: 0o400, optional: true },
          },
        ],
        network: 'none',
        security: 'sandbox',
        secretEnv: [{ id: 'tok', name: 'TOKEN', optional: false }],
      },
    },
  ],
  [
    'file copy',
    { inputs: [{ digest: D1 }, { digest: D2, index: 1 }], file: { actions: [{ input: 0, secondaryInput: 1, output: 0, copy: { src: '/a', dest: '/b/' } }] } },
    { inputs: [{ digest: D1, index: 0 }, { digest: D2, index: 1 }], platform: null, file: { actions: [{ input: 0, secondaryInput: 1, output: 0, copy: FULL_COPY }] } },
  ],
  [
    'file copy with owner',
    { file: { actions: [{ copy: { src: '/a', dest: '/b/', owner: { user: {} } } }] } },
    { inputs: [], platform: null, file: { actions: [{ input: -1, secondaryInput: -1, output: -1, copy: { ...FULL_COPY, owner: CHOWN_FULL } }] } },
  ],
  [
    'file mkdir',
    { file: { actions: [{ mkdir: { path: '/x', makeParents: true } }] } },
    { inputs: [], platform: null, file: { actions: [{ input: -1, secondaryInput: -1, output: -1, mkdir: { path: '/x', mode: 0o755, makeParents: true, owner: null, timestamp: -1 } }] } },
  ],
  [
    'file mkfile',
    { file: { actions: [{ output: 0, mkfile: { path: '/f', data: 'aGk=' } }] } },
    { inputs: [], platform: null, file: { actions: [{ input: -1, secondaryInput: -1, output: 0, mkfile: { path: '/f', mode: 0o644, data: 'aGk=', owner: null, timestamp: -1 } }] } },
  ],
  [
    'file rm',
    { file: { actions: [{ rm: { path: '/f' } }] } },
    { inputs: [], platform: null, file: { actions: [{ input: -1, secondaryInput: -1, output: -1, rm: { path: '/f', allowNotFound: false, allowWildcard: false } }] } },
  ],
  [
    'file symlink',
    { file: { actions: [{ symlink: { oldpath: 'target', newpath: '/link' } }] } },
    { inputs: [], platform: null, file: { actions: [{ input: -1, secondaryInput: -1, output: -1, symlink: { oldpath: 'target', newpath: '/link', owner: null, timestamp: -1 } }] } },
  ],
  [
    'file with several actions chained',
    { inputs: [{ digest: D1 }], file: { actions: [{ input: 0, mkdir: { path: '/d' } }, { input: 1, output: 0, mkfile: { path: '/d/f' } }] } },
    {
      inputs: [{ digest: D1, index: 0 }],
      platform: null,
      file: {
        actions: [
          { input: 0, secondaryInput: -1, output: -1, mkdir: { path: '/d', mode: 0o755, makeParents: false, owner: null, timestamp: -1 } },
          { input: 1, secondaryInput: -1, output: 0, mkfile: { path: '/d/f', mode: 0o644, data: '', owner: null, timestamp: -1 } },
        ],
      },
    },
  ],
  [
    'merge',
    { inputs: [{ digest: D1 }, { digest: D2 }], merge: { inputs: [{ input: 0 }, { input: 1 }] } },
    { inputs: [{ digest: D1, index: 0 }, { digest: D2, index: 0 }], platform: null, merge: { inputs: [{ input: 0 }, { input: 1 }] } },
  ],
  [
    'merge empty',
    { merge: {} },
    { inputs: [], platform: null, merge: { inputs: [] } },
  ],
  [
    'diff',
    { inputs: [{ digest: D1 }, { digest: D2 }], diff: { lower: { input: 0 }, upper: { input: 1 } } },
    { inputs: [{ digest: D1, index: 0 }, { digest: D2, index: 0 }], platform: null, diff: { lower: { input: 0 }, upper: { input: 1 } } },
  ],
  [
    'diff defaults to scratch',
    { diff: {} },
    { inputs: [], platform: null, diff: { lower: { input: -1 }, upper: { input: -1 } } },
  ],
  [
    'nulls count as omitted',
    { inputs: null, platform: null, source: { identifier: null, attrs: null }, exec: null },
    { inputs: [], platform: null, source: { identifier: '', attrs: {} } },
  ],
];

for (const [name, sparse, full] of EQUIVALENT) {
  test(`normalizeOp fills defaults: ${name}`, () => {
    const n = normalizeOp(sparse);
    assert.equal(n, full);
    // normalising is idempotent and the written-out form is already normal
    assert.equal(normalizeOp(n), full);
    assert.equal(normalizeOp(full), full);
    assert.is(canonicalJson(normalizeOp(sparse)), canonicalJson(full));
  });
  test(`opDigest: omitted zero fields give the same digest: ${name}`, () => {
    const d = opDigest(sparse as Op);
    assert.is(d, opDigest(full));
    assert.is(d, canonicalDigest(full));
    assert.match(d, /^sha256:[0-9a-f]{64}$/);
  });
}

test('every equivalent pair has its own digest', () => {
  const seen = new Map<string, string>();
  for (const [name, , full] of EQUIVALENT) {
    const d = opDigest(full);
    assert.not.ok(seen.has(d), `${name} collides with ${seen.get(d)}`);
    seen.set(d, name);
  }
});

test('normalizeOp does not mutate its input', () => {
  for (const [, sparse] of EQUIVALENT) {
    const before = JSON.stringify(sparse);
    normalizeOp(sparse);
    assert.is(JSON.stringify(sparse), before);
  }
});

test('opKind names the single kind of every op kind', () => {
  for (const [, , full] of EQUIVALENT) {
    const k = opKind(full);
    assert.ok(OP_KINDS.includes(k));
    assert.ok(full[k] !== undefined);
  }
  assert.equal([...OP_KINDS], ['source', 'exec', 'file', 'merge', 'diff']);
});

test('opKind rejects zero or two kinds', () => {
  const bad = [
    { inputs: [], platform: null },
    { inputs: [], platform: null, source: { identifier: '', attrs: {} }, merge: { inputs: [] } },
  ];
  for (const op of bad) {
    assert.throws(() => opKind(op as Op), (e: unknown) => e instanceof WireFormatError && /exactly one of source\/exec\/file\/merge\/diff/.test((e as Error).message));
  }
});

test('non-zero values are kept, so they change the digest', () => {
  const base = { exec: { meta: { args: ['true'] } } };
  const changed = [
    { exec: { meta: { args: ['true'], cwd: '/w' } } },
    { exec: { meta: { args: ['true'], user: 'nobody' } } },
    { exec: { meta: { args: ['true'], hostname: 'h' } } },
    { exec: { meta: { args: ['true'], env: ['A=1'] } } },
    { exec: { meta: { args: ['true'], validExitCodes: [0] } } },
    { exec: { meta: { args: ['true'] }, network: 'host' } },
    { exec: { meta: { args: ['true'] }, security: 'insecure' } },
    { exec: { meta: { args: ['true'] } }, platform: {} },
  ];
  const d0 = opDigest(base as unknown as Op);
  for (const c of changed) assert.is.not(opDigest(c as unknown as Op), d0, JSON.stringify(c));
  // explicit defaults are the same op
  assert.is(opDigest({ exec: { meta: { args: ['true'], cwd: '/' }, network: 'sandbox', security: 'sandbox' } } as unknown as Op), d0);
});

test('map keys are sorted and the key order of the input never matters', () => {
  const a = { source: { identifier: 'x', attrs: { z: '1', a: '2', m: '3' } }, platform: { variant: '', os: 'linux', architecture: 'amd64' } };
  const b = { platform: { architecture: 'amd64', os: 'linux' }, source: { attrs: { m: '3', z: '1', a: '2' }, identifier: 'x' } };
  assert.is(opDigest(a as unknown as Op), opDigest(b as unknown as Op));
  assert.equal(Object.keys(normalizeOp(a).source!.attrs), ['a', 'm', 'z']);
});

// [name, raw op, message pattern]
const REJECTED: [string, unknown, RegExp][] = [
  ['not an object: null', null, /^op: expected an object$/],
  ['not an object: array', [], /^op: expected an object$/],
  ['not an object: string', 'source', /^op: expected an object$/],
  ['no kind', { inputs: [] }, /^op: needs exactly one of source\/exec\/file\/merge\/diff, found 0$/],
  ['only null kinds', { source: null, exec: null }, /found 0$/],
  ['two kinds', { source: {}, exec: {} }, /^op: needs exactly one of source\/exec\/file\/merge\/diff, found 2$/],
  ['three kinds', { source: {}, merge: {}, diff: {} }, /found 3$/],
  ['unknown top-level field', { source: {}, build: {} }, /^op: unknown field "build" \(known kinds: source, exec, file, merge, diff\)$/],
  ['unknown kind only', { llb: {} }, /^op: unknown field "llb"/],
  ['unknown field in source', { source: { identifier: 'x', ref: 'y' } }, /^op\.source: unknown field "ref"$/],
  ['unknown field in exec.meta', { exec: { meta: { argv: [] } } }, /^op\.exec\.meta: unknown field "argv"$/],
  ['unknown field in a mount', { exec: { mounts: [{}, { dest: '/', mode: 1 }] } }, /^op\.exec\.mounts\[1\]: unknown field "mode"$/],
  ['unknown field in copy', { file: { actions: [{ copy: { src: 'a', chmod: '755' } }] } }, /^op\.file\.actions\[0\]\.copy: unknown field "chmod"$/],
  ['unknown field in owner', { file: { actions: [{ mkdir: { path: '/', owner: { user: { uid: 1 } } } }] } }, /^op\.file\.actions\[0\]\.mkdir\.owner\.user: unknown field "uid"$/],
  ['unknown field in platform', { source: {}, platform: { os: 'linux', arch: 'amd64' } }, /^op\.platform: unknown field "arch"$/],
  ['unknown field in an input', { source: {}, inputs: [{ digest: D1, output: 0 }] }, /^op\.inputs\[0\]: unknown field "output"$/],
  ['args not an array', { exec: { meta: { args: 'echo hi' } } }, /^op\.exec\.meta\.args: expected an array, got "echo hi"$/],
  ['args element not a string', { exec: { meta: { args: ['echo', 1] } } }, /^op\.exec\.meta\.args\[1\]: expected a string, got 1$/],
  ['cwd not a string', { exec: { meta: { cwd: 5 } } }, /^op\.exec\.meta\.cwd: expected a string, got 5$/],
  ['meta not an object', { exec: { meta: ['x'] } }, /^op\.exec\.meta: expected an object, got \["x"\]$/],
  ['exec not an object', { exec: 'run' }, /^op\.exec: expected an object, got "run"$/],
  ['mount input not an integer', { exec: { mounts: [{ input: 0.5 }] } }, /^op\.exec\.mounts\[0\]\.input: expected an integer, got 0\.5$/],
  ['mount input a string', { exec: { mounts: [{ input: '0' }] } }, /^op\.exec\.mounts\[0\]\.input: expected an integer, got "0"$/],
  ['mount input unsafe integer', { exec: { mounts: [{ input: 2 ** 53 }] } }, /expected an integer/],
  ['readonly not a bool', { exec: { mounts: [{ readonly: 'yes' }] } }, /^op\.exec\.mounts\[0\]\.readonly: expected true or false, got "yes"$/],
  ['readonly a number', { exec: { mounts: [{ readonly: 1 }] } }, /expected true or false, got 1$/],
  ['mount type unknown', { exec: { mounts: [{ type: 'volume' }] } }, /^op\.exec\.mounts\[0\]\.type: expected one of bind\|cache\|tmpfs\|secret\|ssh, got "volume"$/],
  ['network unknown', { exec: { network: 'bridge' } }, /^op\.exec\.network: expected one of sandbox\|host\|none, got "bridge"$/],
  ['network not a string', { exec: { network: 0 } }, /^op\.exec\.network: expected one of/],
  ['security unknown', { exec: { security: 'privileged' } }, /^op\.exec\.security: expected one of sandbox\|insecure/],
  ['cache sharing unknown', { exec: { mounts: [{ cache: { sharing: 'exclusive' } }] } }, /^op\.exec\.mounts\[0\]\.cache\.sharing: expected one of shared\|private\|locked/],
  ['secret not an object', { exec: { mounts: [{ secret: 'tok' }] } }, /^op\.exec\.mounts\[0\]\.secret: expected an object, got "tok"$/],
  ['secret mode a string', { exec: { mounts: [{ secret: { mode: '0400' } }] } }, /^op\.exec\.mounts\[0\]\.secret\.mode: expected an integer, got "0400"$/],
  ['secretEnv optional not bool', { exec: { secretEnv: [{ optional: 'no' }] } }, /^op\.exec\.secretEnv\[0\]\.optional: expected true or false/],
  ['attrs not a map', { source: { attrs: ['a'] } }, /^op\.source\.attrs: expected an object, got \["a"\]$/],
  ['attrs value not a string', { source: { attrs: { keep: true } } }, /^op\.source\.attrs\.keep: expected a string, got true$/],
  ['identifier not a string', { source: { identifier: { x: 1 } } }, /^op\.source\.identifier: expected a string, got \{"x":1\}$/],
  ['platform not an object', { source: {}, platform: 'linux/amd64' }, /^op\.platform: expected an object, got "linux\/amd64"$/],
  ['inputs not an array', { source: {}, inputs: { digest: D1 } }, /^op\.inputs: expected an array/],
  ['input digest missing', { source: {}, inputs: [{}] }, /^op\.inputs\[0\]\.digest: expected a sha256:<64 hex> digest, got undefined$/],
  ['input digest short', { source: {}, inputs: [{ digest: 'sha256:abc' }] }, /^op\.inputs\[0\]\.digest: expected a sha256:<64 hex> digest, got "sha256:abc"$/],
  ['input digest upper case', { source: {}, inputs: [{ digest: `sha256:${'A'.repeat(64)}` }] }, /^op\.inputs\[0\]\.digest: expected a sha256/],
  ['input digest other algorithm', { source: {}, inputs: [{ digest: D1 }, { digest: `sha512:${'1'.repeat(64)}` }] }, /^op\.inputs\[1\]\.digest: expected a sha256/],
  ['input digest without algorithm', { source: {}, inputs: [{ digest: '1'.repeat(64) }] }, /^op\.inputs\[0\]\.digest/],
  ['input index a fraction', { source: {}, inputs: [{ digest: D1, index: 1.5 }] }, /^op\.inputs\[0\]\.index: expected an integer/],
  ['file actions not a list', { file: { actions: {} } }, /^op\.file\.actions: expected an array, got \{\}$/],
  ['file action without kind', { file: { actions: [{ input: 0 }] } }, /^op\.file\.actions\[0\]: needs exactly one of copy\/mkdir\/mkfile\/rm\/symlink$/],
  ['file action with two kinds', { file: { actions: [{ mkdir: {} }, { rm: {}, mkfile: {} }] } }, /^op\.file\.actions\[1\]: needs exactly one of copy\/mkdir\/mkfile\/rm\/symlink$/],
  ['file action unknown kind', { file: { actions: [{ chmod: {} }] } }, /^op\.file\.actions\[0\]: unknown field "chmod"$/],
  ['copy mode a string', { file: { actions: [{ copy: { mode: '0755' } }] } }, /^op\.file\.actions\[0\]\.copy\.mode: expected an integer, got "0755"$/],
  ['copy patterns wrong element', { file: { actions: [{ copy: { includePatterns: ['a', null, 3] } }] } }, /^op\.file\.actions\[0\]\.copy\.includePatterns\[2\]: expected a string, got 3$/],
  ['mkdir makeParents a string', { file: { actions: [{ mkdir: { makeParents: 'true' } }] } }, /^op\.file\.actions\[0\]\.mkdir\.makeParents: expected true or false/],
  ['mkfile data a number', { file: { actions: [{ mkfile: { data: 12 } }] } }, /^op\.file\.actions\[0\]\.mkfile\.data: expected a string, got 12$/],
  ['rm allowNotFound wrong', { file: { actions: [{ rm: { allowNotFound: 0 } }] } }, /^op\.file\.actions\[0\]\.rm\.allowNotFound: expected true or false/],
  ['symlink owner group id wrong', { file: { actions: [{ symlink: { owner: { group: { id: '0' } } } }] } }, /^op\.file\.actions\[0\]\.symlink\.owner\.group\.id: expected an integer, got "0"$/],
  ['merge inputs element wrong', { merge: { inputs: [0] } }, /^op\.merge\.inputs\[0\]: expected an object, got 0$/],
  ['merge unknown', { merge: { inputs: [], squash: true } }, /^op\.merge: unknown field "squash"$/],
  ['diff lower wrong', { diff: { lower: 0 } }, /^op\.diff\.lower: expected an object, got 0$/],
  ['diff upper input wrong', { diff: { upper: { input: 'a' } } }, /^op\.diff\.upper\.input: expected an integer, got "a"$/],
];

for (const [name, raw, re] of REJECTED) {
  test(`normalizeOp rejects ${name}`, () => {
    try {
      normalizeOp(raw);
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, WireFormatError);
      assert.match((err as Error).message, re);
      assert.is((err as WireFormatError).exitCode, 1);
    }
  });
}

test('opDigest rejects what normalizeOp rejects', () => {
  for (const [, raw] of REJECTED) assert.throws(() => opDigest(raw as Op), (e: unknown) => e instanceof WireFormatError);
});

test('long wrong values are cut in the message', () => {
  try {
    normalizeOp({ exec: { meta: { cwd: 1, user: 'x'.repeat(200) } } });
  } catch (err) {
    assert.match((err as Error).message, /^op\.exec\.meta\.cwd/);
  }
  try {
    normalizeOp({ source: { identifier: ['y'.repeat(200)] } });
    assert.unreachable('should throw');
  } catch (err) {
    const m = (err as Error).message;
    assert.ok(m.startsWith('op.source.identifier: expected a string, got ["yyy'), m);
    assert.ok(m.length < 100, m);
  }
});

test('a normalised op serialises to exactly its canonical encoding', async () => {
  const { canonicalJson } = await import('./canonical.ts');
  const { normalizedDigest } = await import('./ops.ts');
  const ops = [
    { source: { identifier: 'docker-image://x', attrs: { z: '1', a: '2', 'é': '3' } } },
    { inputs: [{ digest: `sha256:${'a'.repeat(64)}`, index: 1 }], platform: { variant: 'v8', os: 'linux', architecture: 'arm64' }, exec: { meta: { args: ['sh'] }, mounts: [{ dest: '/', type: 'bind', input: 0 }, { dest: '/c', type: 'cache', cache: { sharing: 'locked', id: 'x' } }] } },
    { file: { actions: [{ input: -1, output: 0, mkfile: { path: '/f', data: 'aGk=', owner: { user: { name: 'app', input: 0, id: 0 }, group: null } } }] } },
    { merge: { inputs: [{ input: 0 }] } },
    { diff: { upper: { input: 1 }, lower: { input: 0 } } },
  ];
  for (const raw of ops) {
    const norm = normalizeOp(raw);
    assert.is(JSON.stringify(norm), canonicalJson(norm));
    assert.is(normalizedDigest(norm), opDigest(raw as unknown as Op));
  }
});

test.run();
