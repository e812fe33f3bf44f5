// Converter conformance (shared corpus README, "Using the real-world files for
// the build-graph converter"): every real-world Dockerfile converts without
// error for every target stage, and the stages converted are exactly those the
// target reaches through its reference dump: FROM <stage> bases, COPY/ADD
// --from=<stage|index> and RUN --mount from= edges, with FROM names expanded
// by the global ARGs. Base images come from a stub resolver (no registry).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { convertDockerfile } from '../packages/df-parse/src/convert/convert.ts';
import { ShellLex } from '../packages/df-parse/src/shell/index.ts';
import type { AnyRecord } from '../packages/wire/src/index.ts';
import { stubResolver } from './helpers/stub-images.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = process.env.CONFORMANCE_DIR ?? resolve(root, '..', 'shared', 'conformance');
const files = readdirSync(join(CORPUS, 'real-world')).filter((f) => f.endsWith('.Dockerfile')).sort();

type DumpLine = { keyword: string; flags: string[]; args: string[] };

/** One dump line: `(keyword ["--flag" ...] "arg" ...)`; ONBUILD's nested dump is kept as its keyword only. */
function parseDumpLine(line: string): DumpLine {
  const keyword = /^\((\S+)/.exec(line)?.[1] ?? '';
  const rest = line.slice(keyword.length + 1);
  const flagsMatch = /^ \[((?:"(?:[^"\\]|\\.)*"\s?)*)\]/.exec(rest);
  const strings = (s: string) => [...s.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1].replace(/\\x([0-9a-f]{2})/g, '\\u00$1')}"`) as string);
  const flags = flagsMatch ? strings(flagsMatch[1]) : [];
  const args = keyword === 'onbuild' ? [] : strings(flagsMatch ? rest.slice(flagsMatch[0].length) : rest);
  return { keyword, flags, args };
}

type StageInfo = { name: string; base: string; deps: string[] };

/** Stages and their edges, from the reference dump only. */
function expectedStages(dump: string, escape: string): { stages: StageInfo[]; globals: Map<string, string> } {
  const globals = new Map<string, string>([['TARGETPLATFORM', 'linux/amd64'], ['TARGETOS', 'linux'], ['TARGETARCH', 'amd64'], ['TARGETVARIANT', ''],
    ['BUILDPLATFORM', 'linux/amd64'], ['BUILDOS', 'linux'], ['BUILDARCH', 'amd64'], ['BUILDVARIANT', '']]);
  const lex = new ShellLex(escape);
  const stages: StageInfo[] = [];
  for (const line of dump.split('\n').filter(Boolean)) {
    const d = parseDumpLine(line);
    if (d.keyword === 'from') {
      stages.push({ name: d.args.length === 3 ? d.args[2].toLowerCase() : '', base: lex.processWord(d.args[0], (k) => globals.get(k)), deps: [] });
    } else if (stages.length === 0 && d.keyword === 'arg') {
      for (const a of d.args) {
        const eq = a.indexOf('=');
        if (eq >= 0) globals.set(a.slice(0, eq), lex.processWord(a.slice(eq + 1), (k) => globals.get(k)));
        else if (!globals.has(a)) globals.set(a, '');
      }
    } else if (stages.length > 0) {
      const cur = stages[stages.length - 1];
      for (const f of d.flags) {
        if (f.startsWith('--from=')) cur.deps.push(f.slice(7));
        if (f.startsWith('--mount=')) {
          const from = f.slice(8).split(',').find((p) => p.startsWith('from='));
          if (from) cur.deps.push(from.slice(5));
        }
      }
    }
  }
  return { stages, globals };
}

function reachable(stages: StageInfo[], target: number): number[] {
  const out = new Set<number>();
  const visit = (i: number) => {
    if (out.has(i)) return;
    out.add(i);
    const find = (name: string, before: number) => {
      if (/^\d+$/.test(name)) return Number(name) < stages.length ? Number(name) : -1;
      return stages.findIndex((s, j) => j < before && s.name !== '' && s.name === name.toLowerCase());
    };
    const b = find(stages[i].base, i);
    if (b >= 0 && !/^\d+$/.test(stages[i].base)) visit(b);
    for (const d of stages[i].deps) {
      const j = find(d, i);
      if (j >= 0) visit(j);
    }
  };
  visit(target);
  return [...out].sort((a, b) => a - b);
}

function checkGraph(records: AnyRecord[], target: string): void {
  const defined = new Set<string>();
  let results = 0;
  for (const r of records) {
    if (r.type === 'op') {
      for (const i of r.op.inputs) assert.ok(defined.has(i.digest), `input ${i.digest} of ${r.meta.name} defined earlier`);
      defined.add(r.digest);
    } else if (r.type === 'result') {
      results++;
      assert.is(r.target, target);
      if (r.input) assert.ok(defined.has(r.input.digest), 'result input is an op');
    }
  }
  assert.is(results, 1);
}

let passed = 0;
let total = 0;
const s = suite('converter: real-world files');
for (const f of files) {
  total++;
  s(f, async () => {
    const text = readFileSync(join(CORPUS, 'real-world', f), 'utf8');
    const details = JSON.parse(readFileSync(join(CORPUS, 'generated', 'real-world', `${f}.json`), 'utf8')) as { escapeToken: string };
    const { stages } = expectedStages(readFileSync(join(CORPUS, 'generated', 'real-world', `${f}.result`), 'utf8'), details.escapeToken);
    const targets: (string | undefined)[] = [undefined, ...stages.map((st) => st.name).filter(Boolean)];
    for (const target of targets) {
      const res = await convertDockerfile({
        file: 'Dockerfile', text, contextDir: '/nonexistent-context', target, buildArgs: new Map(),
        platforms: [{ os: 'linux', architecture: 'amd64', variant: '' }], buildPlatform: { os: 'linux', architecture: 'amd64', variant: '' },
        created: '2024-01-01T00:00:00Z', excludePatterns: [], resolveImage: stubResolver(),
      });
      const ti = target === undefined ? stages.length - 1 : stages.findIndex((st) => st.name === target);
      assert.equal(res.stages, reachable(stages, ti), `stages converted for target ${target ?? '(last)'}`);
      checkGraph(res.records, stages[ti].name);
    }
    passed++;
  });
}
s('the corpus has its 34 real-world files', () => {
  assert.is(files.length, 34);
});
process.once('exit', () => {
  console.log(`\nconverter conformance: ${passed} passed, ${total - passed} failed`);
});
s.run();
