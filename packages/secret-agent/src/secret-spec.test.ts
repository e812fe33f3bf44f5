import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { NotFoundError, UsageError } from '@pipekit/wire';
import { loadSecret, MAX_SECRET_SIZE, parseSecretSpec } from './secret-spec.ts';
import { tempDir } from './testing.ts';

const throwsWith = (fn: () => unknown, cls: new (...a: never[]) => Error, re: RegExp) => {
  try {
    fn();
  } catch (err) {
    assert.instance(err, cls);
    assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable('expected an error');
};
const rejectsWith = async (p: Promise<unknown>, cls: new (...a: never[]) => Error, re: RegExp) => {
  try {
    await p;
  } catch (err) {
    assert.instance(err, cls);
    assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable('expected a rejection');
};

test('src and env forms', () => {
  assert.equal(parseSecretSpec('id=npmrc,src=/x/.npmrc', {}), { id: 'npmrc', from: { file: '/x/.npmrc' }, cacheContent: false });
  assert.equal(parseSecretSpec('id=tok,source=f', {}).from, { file: 'f' });
  assert.equal(parseSecretSpec('id=tok,env=GH_TOKEN', {}).from, { env: 'GH_TOKEN' });
  assert.equal(parseSecretSpec('id=tok,src=f,cache=content', {}).cacheContent, true);
});

test('type=env takes src as the variable name (buildctl)', () => {
  assert.equal(parseSecretSpec('type=env,id=tok,src=GH_TOKEN', {}).from, { env: 'GH_TOKEN' });
  assert.equal(parseSecretSpec('type=env,id=tok', {}).from, { env: 'tok' });
  assert.equal(parseSecretSpec('type=file,id=tok', { tok: 'x' }).from, { file: 'tok' });
});

test('auto-detection: an env var named like the id wins, else a file named like the id', () => {
  assert.equal(parseSecretSpec('id=TOKEN', { TOKEN: 'v' }).from, { env: 'TOKEN' });
  assert.equal(parseSecretSpec('id=TOKEN', {}).from, { file: 'TOKEN' });
});

test('bad specs are usage errors that say why', () => {
  throwsWith(() => parseSecretSpec('src=f', {}), UsageError, /id is required/);
  throwsWith(() => parseSecretSpec('id=a,src=f,env=E', {}), UsageError, /either src or env/);
  throwsWith(() => parseSecretSpec('id=a,colour=red', {}), UsageError, /unknown key "colour"/);
  throwsWith(() => parseSecretSpec('id=a,type=socket', {}), UsageError, /type must be file or env/);
  throwsWith(() => parseSecretSpec('id=a/b', {}), UsageError, /may only hold/);
  throwsWith(() => parseSecretSpec('id=a,novalue', {}), UsageError, /expected key=value/);
  throwsWith(() => parseSecretSpec('id=a,cache=always', {}), UsageError, /cache must be content or none/);
});

test('loads a file and an env var', async () => {
  const dir = await tempDir();
  await fs.writeFile(path.join(dir, 's'), 'file-value\n');
  const f = await loadSecret(parseSecretSpec(`id=s,src=${dir}/s`, {}), {});
  assert.is(f.value.toString(), 'file-value\n');
  const e = await loadSecret(parseSecretSpec('id=e,env=V', {}), { V: 'env-value' });
  assert.is(e.value.toString(), 'env-value');
});

test('missing file, directory, unset env: clear errors', async () => {
  const dir = await tempDir();
  await rejectsWith(loadSecret(parseSecretSpec(`id=s,src=${dir}/nope`, {}), {}), NotFoundError, /secret "s": cannot read .*nope: no such file/);
  await rejectsWith(loadSecret(parseSecretSpec(`id=s,src=${dir}`, {}), {}), NotFoundError, /is not a regular file/);
  await rejectsWith(loadSecret(parseSecretSpec('id=s,env=UNSET_VAR', {}), {}), NotFoundError, /UNSET_VAR is not set/);
});

test('the 500 KB limit', async () => {
  const dir = await tempDir();
  await fs.writeFile(path.join(dir, 'ok'), Buffer.alloc(MAX_SECRET_SIZE, 1));
  assert.is((await loadSecret(parseSecretSpec(`id=ok,src=${dir}/ok`, {}), {})).value.length, MAX_SECRET_SIZE);
  await fs.writeFile(path.join(dir, 'big'), Buffer.alloc(MAX_SECRET_SIZE + 1, 1));
  await rejectsWith(loadSecret(parseSecretSpec(`id=big,src=${dir}/big`, {}), {}), UsageError, /secret "big" is 501 KB, over the 500 KB limit/);
  await rejectsWith(loadSecret(parseSecretSpec('id=e,env=BIG', {}), { BIG: 'x'.repeat(MAX_SECRET_SIZE + 10) }), UsageError, /over the 500 KB limit/);
});

test.run();
