// BuildKit's UndefinedVar check: a variable an instruction expands (COPY, ENV,
// WORKDIR, ...; RUN is left to the shell) that neither the stage's env (the
// base image's Env, ENV, ARG values) nor its declared ARGs define. The
// suggestion is the closest defined name within edit distance 2, as BuildKit's.
import type { StageState } from './state.ts';

// set by BuildKit itself, never part of the env: their absence is no mistake
const BUILTIN = new Set([
  'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT',
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
]);

/** Levenshtein distance (insert, delete, substitute: cost 1 each). */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length];
}

/** The messages for the names in `unmatched` that the stage does not define. */
export function undefinedVarMessages(unmatched: Iterable<string>, st: StageState): string[] {
  const declared = new Set(st.args.map((a) => a.key));
  const options = [...new Set([...st.env.map((e) => e.slice(0, Math.max(0, e.indexOf('=')))), ...declared])].filter(Boolean);
  const out: string[] = [];
  for (const name of unmatched) {
    if (declared.has(name) || BUILTIN.has(name)) continue;
    let match = '';
    let best = 3;
    for (const o of options) {
      const d = editDistance(name, o);
      if (d < best) {
        best = d;
        match = o;
      }
    }
    out.push(`Usage of undefined variable '$${name}'${match ? ` (did you mean $${match}?)` : ''}`);
  }
  return out;
}
