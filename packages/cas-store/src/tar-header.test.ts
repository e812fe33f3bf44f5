import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCK, encodeHeader } from './tar-header.ts';

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

test.run();
