import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DirectiveParser, EscapeState } from './directives.ts';

test('directives are read until the first other line', () => {
  const p = new DirectiveParser();
  assert.equal(p.parseLine('# syntax = docker/dockerfile:1 '), { name: 'syntax', value: 'docker/dockerfile:1', line: 1 });
  assert.equal(p.parseLine('#ESCAPE=`'), { name: 'escape', value: '`', line: 2 });
  assert.is(p.parseLine('# unknown=1'), null);
  assert.is(p.parseLine('# check=error=true'), null);
});

test('a duplicate directive is an error', () => {
  const p = new DirectiveParser();
  p.parseLine('# check=skip=all');
  assert.throws(() => p.parseLine('# CHECK=error=true'), /only one check parser directive/);
});

test('a blank line ends directive scanning', () => {
  const p = new DirectiveParser();
  assert.is(p.parseLine(''), null);
  assert.is(p.parseLine('# escape=`'), null);
});

test('escape token validation', () => {
  const e = new EscapeState();
  assert.throws(() => e.set('x'), /invalid escape token/);
  e.set('`');
  assert.is(e.token, '`');
});

test('line continuation rules', () => {
  const e = new EscapeState();
  assert.equal(e.trimContinuation('echo a \\  '), { text: 'echo a ', continues: true });
  assert.equal(e.trimContinuation('\\'), { text: '', continues: true });
  assert.equal(e.trimContinuation('a\\\\'), { text: 'a\\\\', continues: false });
  assert.equal(e.trimContinuation('a\\\\\\'), { text: 'a\\\\\\', continues: false }); // upstream quirk
  e.set('`');
  assert.equal(e.trimContinuation('dir c:\\ `'), { text: 'dir c:\\ ', continues: true });
  assert.equal(e.trimContinuation('a\\'), { text: 'a\\', continues: false });
});

test.run();
