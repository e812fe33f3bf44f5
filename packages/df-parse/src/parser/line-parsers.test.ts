import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArguments } from './line-parsers.ts';
import { parseInstruction } from './instruction.ts';

const ctx = { escapeToken: '\\', parseInstruction: (l: string) => parseInstruction(l, '\\') };
const values = (kw: string, rest: string) => parseArguments(kw, rest, ctx).next.map((n) => n.value);

test('FROM/EXPOSE split on ASCII blanks only', () => {
  assert.equal(values('from', 'x\tAS  y'), ['x', 'AS', 'y']);
  assert.equal(values('expose', ''), []);
});

test('ENV/LABEL old and new forms', () => {
  assert.equal(values('env', 'PATH /a b'), ['PATH', '/a b', '']);
  assert.equal(values('label', 'a=b c="d e" f='), ['a', 'b', '=', 'c', '"d e"', '=', 'f', '', '=']);
  assert.throws(() => values('env', 'PATH'), /ENV must have two arguments/);
  assert.throws(() => values('label', 'a=b f'), /can't find = in "f"/);
  assert.equal(values('env', ''), []);
});

test('ARG keeps = in place', () => {
  assert.equal(values('arg', 'abc="123 456" def'), ['abc="123 456"', 'def']);
});

test('exec form vs shell form', () => {
  const json = parseArguments('cmd', '["a", "b"]', ctx);
  assert.ok(json.json);
  assert.equal(json.next.map((n) => n.value), ['a', 'b']);
  const shell = parseArguments('run', "['a']", ctx);
  assert.not.ok(shell.json);
  assert.equal(shell.next.map((n) => n.value), ["['a']"]);
  assert.equal(values('copy', '["a b", "c"]'), ['a b', 'c']);
  assert.equal(values('copy', 'a  b'), ['a', 'b']);
});

test('HEALTHCHECK type word, then like CMD', () => {
  assert.equal(values('healthcheck', 'CMD ["curl", "x"]'), ['CMD', 'curl', 'x']);
  assert.equal(values('healthcheck', 'NONE'), ['NONE']);
  assert.equal(values('healthcheck', ''), []);
});

test('single-string instructions and unknown words', () => {
  assert.equal(values('user', 'me:  group'), ['me:  group']);
  assert.equal(values('bogus', 'anything'), ['']);
});

test('ONBUILD nests an instruction', () => {
  const r = parseArguments('onbuild', 'COPY --chown=a:b x y', ctx);
  assert.is(r.sub?.value, 'copy');
  assert.equal(r.sub?.flags, ['--chown=a:b']);
  assert.equal(parseArguments('onbuild', '', ctx).sub, undefined);
});

test.run();
