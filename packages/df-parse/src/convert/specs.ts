// The instructions this frontend knows and the flags each accepts (BuildKit's
// instructions/parse.go). Checked for every instruction of the file up front,
// so a bad flag is reported even in a stage the target does not build.
import type { FlagSpec } from './flags.ts';

export const INSTRUCTION_FLAGS: Record<string, FlagSpec> = {
  from: { platform: 'string' },
  run: { mount: 'list', network: 'string', security: 'string' },
  copy: { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'list' },
  add: { chown: 'string', chmod: 'string', link: 'bool', exclude: 'list', checksum: 'string', 'keep-git-dir': 'bool', unpack: 'bool' },
  healthcheck: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
  cmd: {}, entrypoint: {}, env: {}, arg: {}, label: {}, expose: {}, workdir: {}, user: {}, volume: {}, shell: {},
  stopsignal: {}, onbuild: {}, maintainer: {},
};

export const INSTRUCTIONS = Object.keys(INSTRUCTION_FLAGS);

/** Levenshtein distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The closest candidate, if it is close enough to be a plausible typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(w.length / 3) + 1) && bestD < w.length ? best : undefined;
}
