// Before any step runs: every secret and ssh agent that a step requires
// (required=true) must be in the session, else the build stops naming the id
// and the step, as `docker build` does when it resolves mounts.
import { BuildError, type Graph, type OpRecord } from '@pipekit/wire';
import type { SessionInfo } from './types.ts';

export type SecretNeed = { kind: 'secret' | 'ssh'; id: string; rec: OpRecord };

/** The required secret and ssh ids of every exec op, in graph order. */
export function requiredIds(graph: Graph): SecretNeed[] {
  const out: SecretNeed[] = [];
  for (const rec of graph.ops.values()) {
    const e = rec.op.exec;
    if (!e) continue;
    for (const m of e.mounts) {
      if (m.type === 'secret' && m.secret && !m.secret.optional) out.push({ kind: 'secret', id: m.secret.id, rec });
      if (m.type === 'ssh' && m.ssh && !m.ssh.optional) out.push({ kind: 'ssh', id: m.ssh.id, rec });
    }
    for (const s of e.secretEnv) if (!s.optional) out.push({ kind: 'secret', id: s.id, rec });
  }
  return out;
}

function where(rec: OpRecord): string {
  const loc = rec.meta.locations[0];
  const step = rec.meta.name || rec.meta.command || rec.digest;
  return loc ? `${loc.file}:${loc.startLine}: ${step}` : step;
}

/** Throw a BuildError naming each missing required id and the step that needs it. */
export function checkGraphSecrets(graph: Graph, info: SessionInfo | undefined): void {
  const secrets = new Set(info?.secrets.map((s) => s.id) ?? []);
  const ssh = new Set(info?.ssh ?? []);
  const seen = new Set<string>();
  const missing: string[] = [];
  for (const need of requiredIds(graph)) {
    const have = need.kind === 'secret' ? secrets.has(need.id) : ssh.has(need.id);
    const k = `${need.kind}:${need.id}:${need.rec.digest}`;
    if (have || seen.has(k)) continue;
    seen.add(k);
    const hint = need.kind === 'secret' ? `--secret id=${need.id},src=FILE or --secret id=${need.id},env=VAR` : `--ssh ${need.id === 'default' ? 'default' : `${need.id}=SOCKET|KEYFILE`}`;
    missing.push(`${where(need.rec)} requires ${need.kind === 'secret' ? 'secret' : 'ssh agent'} "${need.id}", which this build was not given (pass ${hint})`);
  }
  if (missing.length) throw new BuildError(missing.join('; '));
}
