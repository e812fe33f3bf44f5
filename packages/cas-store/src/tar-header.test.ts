import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { BLOCK, encodeHeader, type TarHeader } from './tar-header.ts';

const base = { type: 'file' as const, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1 };

/** The pax records ahead of the main header, split as "<len> key=value\n" with raw bytes. */
function paxRecords(h: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  assert.is(h[156], 0x78, 'a pax header comes first');
  const size = parseInt(h.subarray(124, 135).toString('latin1'), 8);
  let body = h.subarray(BLOCK, BLOCK + size);
  while (body.length) {
    const sp = body.indexOf(0x20);
    const len = Number(body.subarray(0, sp).toString());
    const rec = body.subarray(sp + 1, len - 1);
    const eq = rec.indexOf(0x3d);
    out.set(rec.subarray(0, eq).toString(), Buffer.from(rec.subarray(eq + 1)));
    body = body.subarray(len);
  }
  return out;
}

test('a short ASCII entry is one ustar block', () => {
  assert.is(encodeHeader({ ...base, name: 'bin/app' }).length, BLOCK);
});

test('xattrs become pax SCHILY.xattr records with their bytes kept exactly (binary, 0x80 and up)', () => {
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0x04, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const h = encodeHeader({ ...base, name: 'bin/app', xattrs: { 'security.capability': cap } });
  const recs = paxRecords(h);
  assert.equal([...recs.keys()], ['SCHILY.xattr.security.capability']);
  assert.ok(recs.get('SCHILY.xattr.security.capability')?.equals(cap));
  // the main header follows the pax body, padded to a block
  assert.is(h.length % BLOCK, 0);
  assert.is(h.subarray(h.length - BLOCK, h.length - BLOCK + 7).toString('latin1'), 'bin/app');
});

test('a long name and an xattr share one pax header', () => {
  // 150 bytes and no slash: ustar cannot split it
  const name = 'n'.repeat(150);
  const recs = paxRecords(encodeHeader({ ...base, name, xattrs: { 'user.k': Buffer.from('v') } }));
  assert.is(recs.get('path')?.toString(), name);
  assert.is(recs.get('SCHILY.xattr.user.k')?.toString(), 'v');
});

// The first 64 bits of each header's sha256, as the encoder wrote them when
// its layers were checked with skopeo, umoci and GNU tar: a layer's diff id
// depends on every byte, so a faster encoder must write the same ones.
const CASES: [TarHeader, string][] = [
  [{ name: 'bin/app', type: 'file', mode: 0o100755, uid: 0, gid: 0, size: 0, mtime: 1 }, 'cbbb29509a4769fd'],
  [{ name: 'etc', type: 'directory', mode: 0o40755, uid: 0, gid: 0, size: 0, mtime: 1795315372 }, '7225531fa0820103'],
  [{ name: 'etc/', type: 'directory', mode: 0o41777, uid: 1000, gid: 1000, size: 0, mtime: 0 }, '0d7584e6a2adc23c'],
  [{ name: 'bin/sh', type: 'symlink', mode: 0o120777, uid: 0, gid: 0, size: 0, mtime: 1795315372, linkname: '/bin/busybox' }, '905c34c01b5667b8'],
  [{ name: 'usr/lib/big.bin', type: 'file', mode: 0o644, uid: 65534, gid: 65534, size: 8 ** 11 - 1, mtime: 8 ** 11 - 1 }, '5921d25c403d01d2'],
  [{ name: 'usr/lib/huge.bin', type: 'file', mode: 0o644, uid: 2 ** 21, gid: 2 ** 22 + 5, size: 8 ** 11 + 12345, mtime: 8 ** 11 }, '9fc52ccef4effe96'],
  [{ name: 'old', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 3, mtime: -5 }, '869d09a8554cc32a'],
  [{ name: 'dev/null', type: 'character-device', mode: 0o20666, uid: 0, gid: 0, size: 0, mtime: 7, devmajor: 1, devminor: 3 }, '44e705d75d8c2128'],
  [{ name: 'dev/sda', type: 'block-device', mode: 0o60660, uid: 0, gid: 6, size: 0, mtime: 7, devmajor: 8, devminor: 0 }, 'a75684ff93c30e2f'],
  [{ name: 'run/fifo', type: 'fifo', mode: 0o10644, uid: 0, gid: 0, size: 0, mtime: 7 }, '89d78ef24b8c1444'],
  [{ name: 'a/hard', type: 'link', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 7, linkname: 'a/first' }, 'f3fac6e55d472085'],
  [{ name: 'x/'.repeat(60) + 'tail', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 10, mtime: 9 }, 'dd90d5a5e472d0f4'],
  [{ name: 'n'.repeat(150), type: 'file', mode: 0o644, uid: 0, gid: 0, size: 10, mtime: 9 }, '5220981d9b1f462b'],
  [{ name: 'd'.repeat(100), type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 9 }, '0223b9275962d29d'],
  [{ name: 'café/naïve.txt', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 1, mtime: 9 }, '2e4f1d58a9af05f2'],
  [{ name: 'l', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 9, linkname: 't/'.repeat(70) }, '7f11d051fcd3e3b3'],
  [{ name: 'l2', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 9, linkname: 'ünï' }, '10def6e543044652'],
  [{ name: 'bin/ping', type: 'file', mode: 0o4755, uid: 0, gid: 0, size: 100, mtime: 9, xattrs: { 'security.capability': Buffer.from([1, 0, 0, 2, 0x80, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) } }, '5ea4926caa6d9a97'],
  [{ name: '.wh.gone', type: 'file', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 }, '1200d666eb49bde8'],
  [{ name: 'sub/.wh..wh..opq', type: 'file', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 }, 'f3adfb13f19c1741'],
];

test('headers are byte-for-byte what they were: names, modes, ids, sizes, devices, links, pax', () => {
  for (const [h, want] of CASES) {
    assert.is(createHash('sha256').update(encodeHeader(h)).digest('hex').slice(0, 16), want, h.name.slice(0, 40));
  }
});

test('every header block checksums as tar readers verify it', () => {
  for (const [h] of CASES) {
    const all = encodeHeader(h);
    // the pax header (if any) and the entry's own header; pax records lie between
    for (const b of [all.subarray(0, BLOCK), all.subarray(all.length - BLOCK)]) {
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i];
      assert.is(parseInt(b.subarray(148, 154).toString('latin1'), 8), sum, h.name.slice(0, 40));
    }
  }
});

test.run();
