import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { NotFoundError, UsageError } from '@pipekit/wire';
import { checkDest, openDest } from './dest.ts';
import { cleanup, tempDir } from './testing.ts';

const rejectsWith = async (p: Promise<unknown>, cls: new (...a: never[]) => Error, re?: RegExp) => {
  try {
    await p;
  } catch (err) {
    assert.instance(err, cls);
    if (re) assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable('expected a rejection');
};

test('file dest appears only on commit', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'out.tar');
  const d = await openDest(file);
  await d.write(Buffer.from('abc'));
  await d.write(Buffer.from('def'));
  const during = await fs.readdir(dir);
  assert.is(during.length, 1);
  assert.match(during[0], /^\.out\.tar\.tmp-/);
  await d.commit();
  assert.equal(await fs.readdir(dir), ['out.tar']);
  assert.is(await fs.readFile(file, 'utf8'), 'abcdef');
});

test('a file dest gives the digest of what was written only when asked for it', async () => {
  const dir = await tempDir();
  const asked = await openDest(path.join(dir, 'a.tar'), undefined, { digest: true });
  await asked.write(Buffer.from('abc'));
  await asked.commit();
  // sha256("abc")
  assert.is(asked.digest(), 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  const plain = await openDest(path.join(dir, 'b.tar'));
  await plain.write(Buffer.from('abc'));
  await plain.commit();
  assert.is(plain.digest(), '');
});

test('abort removes the temp file and keeps an existing dest', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'out.tar');
  await fs.writeFile(file, 'old');
  const d = await openDest(file);
  await d.write(Buffer.from('new'));
  await d.abort();
  await d.abort();
  assert.equal(await fs.readdir(dir), ['out.tar']);
  assert.is(await fs.readFile(file, 'utf8'), 'old');
});

test("'-' writes to the given stream and does not end it", async () => {
  const out = new PassThrough();
  const got: Buffer[] = [];
  out.on('data', (c) => got.push(c));
  const d = await openDest('-', out);
  await d.write(Buffer.from('tar'));
  await d.commit();
  assert.is(Buffer.concat(got).toString(), 'tar');
  assert.is(out.writableEnded, false);
});

test("'-' refuses a terminal", async () => {
  const tty = Object.assign(new PassThrough(), { isTTY: true });
  await rejectsWith(checkDest('-', tty), UsageError, /refusing to write a tarball to a terminal/);
});

test('a directory, a missing parent or an empty dest are refused', async () => {
  const dir = await tempDir();
  await rejectsWith(checkDest(dir), UsageError, /is a directory/);
  await rejectsWith(checkDest(path.join(dir, 'nope', 'x.tar')), NotFoundError, /does not exist/);
  await rejectsWith(checkDest(''), UsageError);
});

test.after(cleanup);

test.run();
