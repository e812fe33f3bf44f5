import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WireFormatError, type ImageConfig } from '@pipekit/wire';
import { MEDIA_CONFIG, configBlob } from './config.ts';

const L1 = `sha256:${'1'.repeat(64)}`;
const L2 = `sha256:${'2'.repeat(64)}`;
const config = (diffIDs: string[]): ImageConfig => ({
  rootfs: { type: 'layers', diff_ids: diffIDs },
  os: 'linux',
  history: [],
  config: { WorkingDir: '/', Env: ['A=1'], Cmd: ['sh', '-c', 'a && b'] },
  architecture: 'amd64',
  created: '2024-01-02T03:04:05Z',
});

test('compact, top-level keys sorted, nested order kept, Go escaping', () => {
  const b = configBlob(config([L1, L2]), [L1, L2]);
  assert.is(b.desc.mediaType, MEDIA_CONFIG);
  assert.is(
    b.data.toString(),
    `{"architecture":"amd64","config":{"WorkingDir":"/","Env":["A=1"],"Cmd":["sh","-c","a \\u0026\\u0026 b"]},` +
      `"created":"2024-01-02T03:04:05Z","history":[],"os":"linux","rootfs":{"type":"layers","diff_ids":["${L1}","${L2}"]}}`,
  );
});

const isWire = (re?: RegExp) => (e: Error) => e instanceof WireFormatError && (!re || re.test(e.message));

test('diff_ids must equal the layers, in order', () => {
  assert.throws(() => configBlob(config([L2, L1]), [L1, L2]), isWire(/diff_ids\[0\]/));
  assert.throws(() => configBlob(config([L1]), [L1, L2]), isWire(/1 diff_ids for 2 layers/));
  assert.throws(() => configBlob(config([L1]), []), isWire());
});

test('zero layers: empty diff_ids is fine', () => {
  assert.match(configBlob(config([]), []).data.toString(), /"diff_ids":\[\]/);
});

test('malformed configs are WireFormatErrors', () => {
  const c = config([]) as unknown as Record<string, unknown>;
  assert.throws(() => configBlob({ ...c, rootfs: undefined } as unknown as ImageConfig, []), isWire());
  assert.throws(() => configBlob({ ...c, rootfs: { type: 'x', diff_ids: [] } } as unknown as ImageConfig, []), isWire());
  assert.throws(() => configBlob({ ...c, os: 1 } as unknown as ImageConfig, []), isWire());
  assert.throws(() => configBlob(null as unknown as ImageConfig, []), isWire());
});

test.run();
