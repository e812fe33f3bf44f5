import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from '@pipekit/cas-store';
import type { OpRecord } from '@pipekit/wire';
import { explainMiss, readNote, rememberStep, stepIdentity, type KeyParts } from './explain.ts';

const made: string[] = [];
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

async function store(): Promise<Store> {
  const d = await fs.mkdtemp(path.join(tmpdir(), 'explain-test-'));
  made.push(d);
  return Store.open(d);
}

const rec = (name: string) => ({ digest: 'sha256:00', op: {}, meta: { name, stage: 'build' } }) as unknown as OpRecord;
type PartsIn = Omit<Partial<KeyParts>, 'files'> & { files?: Record<string, string> };
const parts = ({ files = { '/a': 'h1', '/b': 'h2' }, ...over }: PartsIn = {}): KeyParts => ({
  definition: 'def', inputs: [{ name: 'base', key: 'k1' }], files: new Map(Object.entries(files)), ...over,
});

test('step identity ignores the position of the step in its stage', () => {
  assert.is(stepIdentity(rec('[build 2/4] RUN make')), stepIdentity(rec('[build 3/5] RUN make')));
  assert.is.not(stepIdentity(rec('[build 2/4] RUN make')), stepIdentity(rec('[build 2/4] RUN make test')));
});

test('what changed since the last build of a step', async () => {
  const s = await store();
  const r = rec('[build 1/1] COPY . /app');
  assert.is(explainMiss(await readNote(s, r), parts(), { noCache: false, key: 'K1' }), 'no earlier build of this step');
  await rememberStep(s, r, 'K1', parts(), { readAt: 1, localDirs: [] });
  assert.match(explainMiss(await readNote(s, r), parts(), { noCache: true, key: 'K1' }), /cache disabled/);
  assert.match(explainMiss(await readNote(s, r), parts(), { noCache: false, key: 'K1' }), /cached result is gone/);
  assert.match(explainMiss(await readNote(s, r), parts({ definition: 'other' }), { noCache: false, key: 'K2' }), /the step itself changed/);
  assert.match(explainMiss(await readNote(s, r), parts({ inputs: [{ name: 'base', key: 'k2' }] }), { noCache: false, key: 'K2' }), /input "base" changed/);
  const files = explainMiss(await readNote(s, r), parts({ files: { '/a': 'h1', '/b': 'CHANGED', '/c': 'h3' } }), { noCache: false, key: 'K2' });
  assert.is(files, 'files /b (changed), /c (added)');
  assert.is(explainMiss(await readNote(s, r), parts({ files: { '/a': 'h1' } }), { noCache: false, key: 'K2' }), 'files /b (removed)');
});

test('a step that reads very many files is not itemised, and never reported as all-new', async () => {
  const s = await store();
  const r = rec('[build 1/1] COPY . /big');
  const many: Record<string, string> = {};
  for (let i = 0; i <= 200000; i++) many[`/f${i}`] = 'h';
  await rememberStep(s, r, 'K1', parts({ files: many }), { readAt: 1, localDirs: [] });
  const why = explainMiss(await readNote(s, r), parts({ files: { ...many, '/f7': 'changed' } }), { noCache: false, key: 'K2' });
  assert.match(why, /^files it reads changed \(more than 200000: not itemised\)$/);
  // with another cause, that cause is the answer
  assert.match(explainMiss(await readNote(s, r), parts({ files: many, definition: 'x' }), { noCache: false, key: 'K3' }), /^the step itself changed/);
});

test('a note keeps its files as [path, hash] pairs; one written with an object of them still explains', async () => {
  const s = await store();
  const r = rec('[build 1/1] COPY . /old');
  await rememberStep(s, r, 'K1', parts(), { readAt: 1, localDirs: [] });
  const dir = path.join(s.dir, 'explain');
  const [file] = await fs.readdir(dir);
  const saved = JSON.parse(await fs.readFile(path.join(dir, file), 'utf8'));
  assert.equal(saved.files, [['/a', 'h1'], ['/b', 'h2']]);
  await fs.writeFile(path.join(dir, file), JSON.stringify({ ...saved, files: Object.fromEntries(saved.files) }));
  assert.is(explainMiss(await readNote(s, r), parts({ files: { '/a': 'h1', '/b': 'h3' } }), { noCache: false, key: 'K2' }), 'files /b (changed)');
});

test.run();
