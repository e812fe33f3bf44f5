// df-parse at scale, in process: parse and convert a synthetic Dockerfile of
// 1,000 stages and 10,000 instructions (each stage copies from the previous
// ones, so the target reaches them all; every tenth builds FROM the one before), beside the 34 real-world files of the
// conformance corpus (every file, its last stage). Base images come from a stub
// resolver: this measures the frontend, not a registry. Goal: < 0.5 s, < 100 MB.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { convertDockerfile } from '../packages/df-parse/src/convert/convert.ts';
import { parseDockerfile } from '../packages/df-parse/src/parser/index.ts';
import { stubResolver } from '../tests/helpers/stub-images.ts';
import { ROOT, report } from './lib.ts';

function synthetic(stages: number, perStage: number): string {
  const lines = ['# syntax=docker/dockerfile:1', 'ARG BASE=alpine', 'ARG VERSION=1.0'];
  for (let s = 0; s < stages; s++) {
    lines.push(s % 10 === 9 ? `FROM s${s - 1} AS s${s}` : s % 2 ? 'FROM ${BASE}:${VERSION} AS s' + s : `FROM golang:1.${s % 7} AS s${s}`);
    const body = [
      `ARG VERSION`,
      `ENV STAGE_${s}=value-${s} PATH_${s}=/opt/${s}/bin`,
      `WORKDIR /work/${s}`,
      `COPY --chown=1000:1000 src/${s}/ ./`,
      `RUN --mount=type=cache,target=/root/.cache make -j4 STAGE=${s} VERSION=$VERSION`,
      s > 0 ? `COPY --from=s${s - 1} /work/${s - 1}/out /deps/${s - 1}` : `COPY <<EOF /etc/stage\nstage ${s}\nEOF`,
      `LABEL stage.${s}="built"`,
      `RUN ["/bin/sh", "-c", "echo done ${s}"]`,
      `EXPOSE ${8000 + (s % 1000)}`,
    ];
    lines.push(...body.slice(0, perStage - 1));
  }
  return `${lines.join('\n')}\n`;
}

const opts = (text: string) => ({
  file: 'Dockerfile', text, contextDir: '/ctx', buildArgs: new Map<string, string>(),
  platforms: [{ os: 'linux', architecture: 'amd64', variant: '' }], buildPlatform: { os: 'linux', architecture: 'amd64', variant: '' },
  created: '2024-01-01T00:00:00Z', excludePatterns: [], resolveImage: stubResolver(),
});

const peak = { rss: process.memoryUsage().rss };
const sampler = setInterval(() => (peak.rss = Math.max(peak.rss, process.memoryUsage().rss)), 5);

const text = synthetic(1000, 10);
const instructions = parseDockerfile(text).root.children.length;
// warm the code paths once on a small file so JIT start-up is not counted
await convertDockerfile(opts(synthetic(20, 10)));
const before = process.memoryUsage().rss;
const t0 = performance.now();
const res = await convertDockerfile(opts(text));
const ms = performance.now() - t0;
peak.rss = Math.max(peak.rss, process.memoryUsage().rss);

const dir = path.join(process.env.CONFORMANCE_DIR ?? path.resolve(ROOT, '..', 'shared', 'conformance'), 'real-world');
const files = readdirSync(dir).filter((f) => f.endsWith('.Dockerfile'));
const t1 = performance.now();
for (const f of files) await convertDockerfile(opts(readFileSync(path.join(dir, f), 'utf8')));
const realMs = performance.now() - t1;
clearInterval(sampler);

report('df-parse: parse + convert', {
  'synthetic stages': 1000,
  'synthetic instructions': instructions,
  'ops in the graph': res.records.filter((r) => r.type === 'op').length,
  'synthetic parse+convert (s)': ms / 1000,
  'rss growth during it (MB)': (peak.rss - before) / 2 ** 20,
  'peak rss of the process (MB)': peak.rss / 2 ** 20,
  [`real-world files (${files.length}), total (s)`]: realMs / 1000,
  'goal': '< 0.5 s and < 100 MB',
});
