// Bounded fuzzing in CI: mutated conformance Dockerfiles and mutated graphs give
// only located errors, never a crash or a hang. `bench/fuzz.ts` runs longer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fuzz, parseTarget, graphTarget, seedGraph } from './fuzz/targets.ts';

test('the seed graph is valid and the targets accept it', async () => {
  assert.is(await graphTarget(Buffer.from(seedGraph())), undefined);
  assert.is(parseTarget(Buffer.from('FROM scratch\nRUN echo hi\n')), undefined);
});

test('fuzz the parser and the graph reader for a bounded time', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? 1);
  const stats = await fuzz({ seconds: Number(process.env.FUZZ_SECONDS ?? 8), seed });
  process.stdout.write(`fuzz: ${stats.iterations} iterations from seed ${seed}, slowest ${stats.slowest.toFixed(1)} ms, ${stats.findings.length} findings\n`);
  for (const f of stats.findings.slice(0, 5)) process.stdout.write(`  ${f.target} seed=${f.seed}: ${f.problem}\n    input(base64)=${f.input.slice(0, 200)}\n`);
  assert.ok(stats.iterations > 100, 'ran enough iterations');
  assert.equal(stats.findings, []);
});

test.run();
