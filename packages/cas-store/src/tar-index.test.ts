// Spans found in tars written by packLayer and by GNU tar in its three formats
// must point at each file's exact bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packEntry, packLayer } from './layer-pack.ts';
import { tarEntries, tarFileSpans } from './tar-index.ts';

const made: string[] = [];
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

const FILES: Record<string, string | Buffer> = {
  'a.txt': 'a\n',
  'empty': '',
  'dir/nested/b.bin': Buffer.alloc(1500, 7),
  [`long/${'x'.repeat(90)}/${'y'.repeat(90)}/file.txt`]: 'long name\n',
  [`${'z'.repeat(120)}.txt`]: 'a long base name\n',
  'ünïcode/名前.txt': 'utf-8 name\n',
  'exact-block': Buffer.alloc(512, 1),
};

async function tree(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'tar-index-'));
  made.push(dir);
  for (const [rel, body] of Object.entries(FILES)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), body);
  }
  await fs.symlink('a.txt', path.join(dir, 'link'));
  await fs.link(path.join(dir, 'a.txt'), path.join(dir, 'hard'));
  return dir;
}

async function collect(s: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

function check(tar: Buffer): void {
  const spans = tarFileSpans(tar);
  for (const [rel, body] of Object.entries(FILES)) {
    const s = spans.get(rel);
    assert.ok(s, `span for ${rel}`);
    assert.ok(tar.subarray(s.offset, s.offset + s.size).equals(Buffer.from(body)), `bytes of ${rel}`);
  }
  assert.not.ok(spans.has('link'), 'symlinks have no span');
}

test('packLayer output', async () => {
  const dir = await tree();
  const tar = await collect(packLayer(dir));
  check(tar);
  // one of the two hard links is a link entry, the other a file
  assert.ok(spans(tar).has('a.txt') !== spans(tar).has('hard'));
});

const spans = tarFileSpans;

for (const format of ['gnu', 'pax', 'ustar']) {
  test(`GNU tar --format=${format}`, async () => {
    const dir = await tree();
    const names = Object.keys(FILES).filter((n) => format !== 'ustar' || (Buffer.byteLength(n) <= 100 || /^[^/]{0,155}\/.{0,100}$/.test(n)));
    const out = path.join(dir, '..', `${path.basename(dir)}.${format}.tar`);
    made.push(out);
    execFileSync('tar', [`--format=${format}`, '-cf', out, '-C', dir, ...names.map((n) => `./${n}`)], { stdio: 'ignore' });
    const tar = readFileSync(out);
    const got = tarFileSpans(tar);
    for (const n of names) {
      const s = got.get(n);
      assert.ok(s, `${format}: span for ${n}`);
      assert.ok(tar.subarray(s.offset, s.offset + s.size).equals(Buffer.from(FILES[n])), `${format}: bytes of ${n}`);
    }
  });
}

test('each entry spans exactly its own bytes, extension headers included, as packEntry writes them', async () => {
  const dir = await tree();
  const tar = await collect(packLayer(dir));
  const entries = tarEntries(tar);
  const names = [...entries.keys()];
  assert.ok(names.includes('dir/nested') && names.includes('link') && names.includes(`long/${'x'.repeat(90)}/${'y'.repeat(90)}/file.txt`), names.join(' '));
  // the spans tile the archive up to its end blocks
  let pos = 0;
  for (const e of entries.values()) {
    assert.is(e.start, pos);
    pos = e.end;
  }
  assert.ok(tar.subarray(pos).every((b) => b === 0));
  for (const [name, e] of entries) {
    // the hard link packs as a link entry to the other name: packEntry is for entries no other shares
    if (name === 'a.txt' || name === 'hard') continue;
    assert.ok(tar.subarray(e.start, e.end).equals(packEntry(name, path.join(dir, name))), `bytes of ${name}`);
  }
});

test('a truncated or empty tar gives what it holds', () => {
  assert.is(tarFileSpans(Buffer.alloc(0)).size, 0);
  assert.is(tarFileSpans(Buffer.alloc(1024)).size, 0);
});

test.run();
