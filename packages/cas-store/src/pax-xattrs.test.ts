import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCK, encodeHeader, padding, TAR_END } from './tar-header.ts';
import { PaxXattrScanner } from './pax-xattrs.ts';

const h = { type: 'file' as const, mode: 0o755, uid: 0, gid: 0, mtime: 1 };
const CAP = Buffer.from([0x01, 0, 0, 0x02, 0x80, 0x04, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** A tar: a file with data, a dir, a pax-named file with an xattr, a GNU long-name entry, a file after it. */
function archive(): Buffer {
  const file = (name: string, data: string, xattrs?: Record<string, Buffer>) => {
    const body = Buffer.from(data);
    return [encodeHeader({ ...h, name, size: body.length, xattrs }), body, Buffer.alloc(padding(body.length))];
  };
  // a GNU 'L' header (long name) ahead of a plain entry: meta, no entry of its own
  const longName = Buffer.from(`${'l'.repeat(120)}\0`);
  const gnuL = encodeHeader({ ...h, name: '././@LongLink', size: longName.length });
  gnuL[156] = 0x4c;
  // recompute the checksum for the changed type flag
  gnuL.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += gnuL[i];
  gnuL.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return Buffer.concat([
    ...file('a.txt', 'x'.repeat(700)),
    encodeHeader({ ...h, type: 'directory', name: 'dir', size: 0 }),
    ...file('n'.repeat(150), 'prog', { 'security.capability': CAP, 'user.note': Buffer.from('hi') }),
    gnuL, longName, Buffer.alloc(padding(longName.length)),
    ...file('short', 'y'),
    ...file('last', 'z', { 'security.capability': CAP }),
    TAR_END,
  ]);
}

for (const chunk of [1e9, 1, 7, 512, 513]) {
  test(`raw xattrs per entry, in order, fed in chunks of ${chunk}`, () => {
    const s = new PaxXattrScanner();
    const tar = archive();
    for (let i = 0; i < tar.length; i += chunk) s.push(tar.subarray(i, i + chunk));
    assert.is(s.next(), undefined, 'a.txt');
    assert.is(s.next(), undefined, 'dir');
    const prog = s.next();
    assert.ok(prog?.['security.capability'].equals(CAP), 'binary bytes kept');
    assert.is(prog?.['user.note'].toString(), 'hi');
    assert.is(s.next(), undefined, 'the long-named entry (its GNU header is not an entry)');
    assert.ok(s.next()?.['security.capability'].equals(CAP), 'last');
    assert.is(s.next(), undefined, 'nothing more');
  });
}

test.run();
