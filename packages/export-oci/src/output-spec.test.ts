import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '@pipekit/wire';
import { parseOutput, splitCsv } from './output-spec.ts';

const usage = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: Error) => e instanceof UsageError && re.test(e.message));

test('CSV fields: quoted fields hold commas and doubled quotes', () => {
  assert.equal(splitCsv('type=oci,dest=a.tar'), ['type=oci', 'dest=a.tar']);
  assert.equal(splitCsv('type=image,"name=a,b","annotation.x=say ""hi"""'), ['type=image', 'name=a,b', 'annotation.x=say "hi"']);
  usage(() => splitCsv('type=oci,"dest=x'), /unterminated quote/);
});

test('each type with its defaults', () => {
  const oci = parseOutput('type=oci,dest=out.tar,name=app:1');
  assert.equal([oci.type, oci.dest, oci.tar, oci.name, oci.compression, oci.ociTypes, oci.rewriteTimestamp], ['oci', 'out.tar', true, 'app:1', 'gzip', true, true]);
  const reg = parseOutput('type=registry,name=r/x:1');
  assert.equal([reg.type, reg.push], ['image', true]);
  const img = parseOutput('type=image,name=r/x,push=true,push-by-digest=1,registry.insecure=true,compression=zstd,compression-level=19,force-compression=true,oci-mediatypes=false');
  assert.equal([img.push, img.pushByDigest, img.insecure, img.compression, img.level, img.force, img.ociTypes], [true, true, true, 'zstd', 19, true, false]);
  assert.equal(parseOutput('type=local,dest=d,mode=delete,platform-split=false').platformSplit, false);
});

test('shorthands: -o DIR is local, -o - is a tar on stdout, dest alone is local', () => {
  assert.equal([parseOutput('out').type, parseOutput('out').dest], ['local', 'out']);
  assert.equal([parseOutput('-').type, parseOutput('-').dest], ['tar', '-']);
  assert.is(parseOutput('dest=x').type, 'local');
});

test('defaults from flags fill what the spec leaves out, where they apply', () => {
  const d: [string, string][] = [['compression', 'zstd'], ['annotation.a', '1'], ['name', 'n:1']];
  const o = parseOutput('type=oci,dest=x,compression=gzip', d);
  assert.equal([o.compression, o.name, o.annotations.length], ['gzip', 'n:1', 1]);
  assert.is(parseOutput('type=local,dest=d', d).annotations.length, 0);
});

test('annotations are collected from the spec', () => {
  const o = parseOutput('type=oci,dest=x,annotation.k=v,annotation-index-descriptor.i=j');
  assert.equal(o.annotations.map((a) => [a.target, a.key, a.value]), [['manifest', 'k', 'v'], ['index-descriptor', 'i', 'j']]);
});

test('refusals name the problem', () => {
  usage(() => parseOutput('type=zip,dest=x'), /unknown output type "zip"/);
  usage(() => parseOutput('type=oci,dest=x,colour=red'), /unknown option "colour" for type=oci/);
  usage(() => parseOutput('type=oci'), /needs dest=FILE/);
  usage(() => parseOutput('type=docker'), /no docker engine/);
  usage(() => parseOutput('type=local,dest=-'), /dest=- is only for tarballs/);
  usage(() => parseOutput('type=oci,tar=false,dest=-'), /cannot go to stdout/);
  usage(() => parseOutput('type=image,push=true'), /needs name=/);
  usage(() => parseOutput('type=oci,dest=x,compression=lz4'), /invalid compression/);
  usage(() => parseOutput('type=oci,dest=x,compression=zstd,compression-level=23'), /zstd takes 1-22/);
  usage(() => parseOutput('type=oci,dest=x,tar=maybe'), /invalid tar=maybe/);
  usage(() => parseOutput('type=oci,novalue'), /is not key=value/);
  usage(() => parseOutput('name=x'), /no type=/);
});

test.run();
