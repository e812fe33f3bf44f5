// Conformance harness for the Dockerfile parser and the shell-word lexer against
// the shared corpus (see <corpus>/README.md for every format and pass rule).
// One uvu test per vector so the counts are visible; a summary line at the end.
//
// The corpus is <repo>/../shared/conformance, or $CONFORMANCE_DIR.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DockerfileSyntaxError,
  dumpAst,
  parseDockerfile,
  type ParseResult,
} from '../packages/df-parse/src/parser/index.ts';
import { ShellExpansionError, ShellLex } from '../packages/df-parse/src/shell/index.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = process.env.CONFORMANCE_DIR ?? resolve(repoRoot, '..', 'shared', 'conformance');

/** Vector counts the README promises; a smaller corpus must not pass silently. */
const EXPECTED = { parser: 33, negative: 4, lines: 1, envVarTest: 228, wordsTest: 24, realWorld: 34 };
type Category = keyof typeof EXPECTED;
const LABELS: Record<Category, string> = {
  parser: 'parser', negative: 'negative', lines: 'lines', envVarTest: 'envVarTest', wordsTest: 'wordsTest',
  realWorld: 'real-world',
};
const passed: Record<Category, number> = { parser: 0, negative: 0, lines: 0, envVarTest: 0, wordsTest: 0, realWorld: 0 };
const total: Record<Category, number> = { parser: 0, negative: 0, lines: 0, envVarTest: 0, wordsTest: 0, realWorld: 0 };

const path = (...p: string[]) => join(CORPUS, ...p);
const listDir = (...p: string[]) => readdirSync(path(...p)).sort();
/** Expected text files, with CRLF undone in case a checkout converted them (README 1). */
const readExpected = (...p: string[]) => readFileSync(path(...p), 'utf8').replace(/\r\n/g, '\n');

/** Register one vector test; it counts as passed only if its body finishes. */
function vector(s: ReturnType<typeof suite>, cat: Category, name: string, body: () => void): void {
  total[cat]++;
  s(name, () => {
    body();
    passed[cat]++;
  });
}

/** The shape of generated/*.json, rebuilt from our parse result. */
function details(r: ParseResult) {
  return {
    escapeToken: r.directives.escape,
    startLine: r.root.startLine,
    endLine: r.root.endLine,
    warnings: r.warnings.map((w) => w.message),
    children: r.root.children.map((c) => {
      const child: Record<string, unknown> = {
        instruction: c.value, startLine: c.startLine, endLine: c.endLine, flags: c.flags,
      };
      if (c.heredocs.length > 0) {
        child.heredocs = c.heredocs.map((h) => ({
          name: h.name, fileDescriptor: h.fileDescriptor, expand: h.expand, chomp: h.chomp, content: h.content,
        }));
      }
      return child;
    }),
  };
}

/** Dump must equal the result file byte for byte; details must deep-equal the JSON. */
function checkParse(dockerfile: string[], result: string[], json: string[]): void {
  const r = parseDockerfile(readFileSync(path(...dockerfile)), { file: dockerfile.join('/') });
  assert.fixture(dumpAst(r.root) + '\n', readExpected(...result));
  assert.equal(details(r), JSON.parse(readExpected(...json)));
}

// ---- 1. buildkit-parser: golden dumps + generated details --------------------------------
const parserSuite = suite('buildkit-parser');
for (const c of listDir('buildkit-parser')) {
  vector(parserSuite, 'parser', c, () =>
    checkParse(['buildkit-parser', c, 'Dockerfile'], ['buildkit-parser', c, 'result'], ['generated', 'buildkit-parser', `${c}.json`]));
}

// ---- 2. buildkit-parser-negative: must throw ---------------------------------------------
const negativeSuite = suite('buildkit-parser-negative');
for (const c of listDir('buildkit-parser-negative')) {
  vector(negativeSuite, 'negative', c, () => {
    const src = readFileSync(path('buildkit-parser-negative', c, 'Dockerfile'));
    assert.throws(() => parseDockerfile(src), (e: unknown) => e instanceof DockerfileSyntaxError);
  });
}

// ---- 3. buildkit-parser-lines: line bookkeeping ------------------------------------------
const linesSuite = suite('buildkit-parser-lines');
vector(linesSuite, 'lines', 'testfile-line', () => {
  const r = parseDockerfile(readFileSync(path('buildkit-parser-lines', 'testfile-line', 'Dockerfile')));
  const expected = readExpected('buildkit-parser-lines', 'testfile-line', 'expected-lines')
    .split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/));
  const children = expected.filter((e) => e[0] === 'child');
  assert.is(r.root.children.length, children.length, 'instruction count');
  assert.is(children.length, 3);
  let i = 0;
  for (const [kind, start, end] of expected) {
    const node = kind === 'root' ? r.root : r.root.children[i++];
    assert.equal([node.startLine, node.endLine], [Number(start), Number(end)], `${kind} ${start} ${end}`);
  }
  assert.equal(details(r), JSON.parse(readExpected('generated', 'buildkit-parser-lines__testfile-line.json')));
});

// ---- 4. envVarTest: single-word expansion ------------------------------------------------
const envSuite = suite('envVarTest');
{
  const vars = new Map([['PWD', '/home'], ['SHELL', 'bash'], ['KOREAN', '한국어'], ['NULL', '']]);
  const env = (name: string) => vars.get(name);
  const lines = readExpected('buildkit-shell', 'envVarTest').split('\n');
  lines.forEach((line, idx) => {
    if (line.startsWith('#') || line.trim() === '') return;
    const fields = line.trim().split('|').map((f) => f.trim());
    if (fields.length !== 3) throw new Error(`envVarTest:${idx + 1}: expected 3 fields`);
    const [platform, input, expected] = fields;
    if (!['A', 'U', 'W'].includes(platform)) throw new Error(`envVarTest:${idx + 1}: bad platform ${platform}`);
    if (platform === 'W') return; // Windows-only (case-insensitive names); we implement Unix
    vector(envSuite, 'envVarTest', `${idx + 1}: ${input}`, () => {
      const lex = new ShellLex('\\');
      if (expected === 'error') {
        assert.throws(() => lex.processWord(input, env), (e: unknown) => e instanceof ShellExpansionError);
      } else {
        assert.is(lex.processWord(input, env), expected);
      }
    });
  });
}

// ---- 5. wordsTest: expansion + word splitting --------------------------------------------
const wordsSuite = suite('wordsTest');
{
  const vars = new Map<string, string>();
  const lines = readExpected('buildkit-shell', 'wordsTest').split('\n');
  lines.forEach((line, idx) => {
    if (line.startsWith('#') || line === '') return;
    if (line.startsWith('ENV ')) {
      const def = line.slice(4).replace(/^ +/, '');
      const eq = def.indexOf('=');
      vars.set(def.slice(0, eq), def.slice(eq + 1)); // value verbatim, trailing spaces included
      return;
    }
    const parts = line.split('|');
    if (parts.length !== 2) throw new Error(`wordsTest:${idx + 1}: expected exactly one |`);
    const input = parts[0].trim();
    const expected = parts[1].replace(/^ +/, '').split(',');
    const env = new Map(vars); // definitions so far apply to this line
    vector(wordsSuite, 'wordsTest', `${idx + 1}: ${input}`, () => {
      const lex = new ShellLex('\\');
      const get = (name: string) => env.get(name);
      if (expected.length === 1 && expected[0] === 'error') {
        assert.throws(() => lex.processWords(input, get), (e: unknown) => e instanceof ShellExpansionError);
      } else {
        assert.equal(lex.processWords(input, get), expected);
      }
    });
  });
}

// ---- 6. real-world files: dumps + details ------------------------------------------------
const realSuite = suite('real-world');
for (const f of listDir('real-world').filter((n) => n.endsWith('.Dockerfile'))) {
  vector(realSuite, 'realWorld', f, () =>
    checkParse(['real-world', f], ['generated', 'real-world', `${f}.result`], ['generated', 'real-world', `${f}.json`]));
}

// ---- corpus completeness and summary -----------------------------------------------------
const summarySuite = suite('corpus');
summarySuite('every vector set has the count the README gives', () => {
  assert.equal(total, EXPECTED);
});
// Printed when the process ends, so the summary comes after uvu's own totals.
process.once('exit', () => {
  const cats = Object.keys(EXPECTED) as Category[];
  const parts = cats.map((c) => `${LABELS[c]} ${passed[c]}/${total[c]}`);
  const ok = cats.reduce((n, c) => n + passed[c], 0);
  const all = cats.reduce((n, c) => n + total[c], 0);
  console.log(`\nconformance: ${parts.join(', ')}`);
  console.log(`conformance: ${ok} passed, ${all - ok} failed`);
});

parserSuite.run();
negativeSuite.run();
linesSuite.run();
envSuite.run();
wordsSuite.run();
realSuite.run();
summarySuite.run();
