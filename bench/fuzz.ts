// Longer fuzzing run: `pnpm exec tsx bench/fuzz.ts [SECONDS] [SEED]`. Prints
// iterations and every finding (seed + base64 input to replay it).
import { fuzz } from '../tests/fuzz/targets.ts';

const seconds = Number(process.argv[2] ?? 300);
const seed = Number(process.argv[3] ?? Date.now() % 1e9);
const stats = await fuzz({ seconds, seed });
process.stdout.write(`fuzz: ${stats.iterations} iterations in ${seconds}s from seed ${seed}; slowest input ${stats.slowest.toFixed(1)} ms; ${stats.findings.length} findings\n`);
for (const f of stats.findings) process.stdout.write(`${f.target}\tseed=${f.seed}\t${f.problem}\t${f.input}\n`);
process.exitCode = stats.findings.length ? 1 : 0;
