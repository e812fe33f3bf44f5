// A graph can be edited by hand (the pipe invites it), so what df-parse would
// only emit on request is checked here, before anything runs: privileged steps
// and host networking need the user's explicit --allow.
import { BuildError, type Graph } from '@pipekit/wire';
import { StepError } from './step-error.ts';

export function checkEntitlements(graph: Graph, allow: { insecure: boolean; hostNetwork: boolean }): void {
  for (const rec of graph.ops.values()) {
    const e = rec.op.exec;
    if (!e) continue;
    const name = rec.meta.name || e.meta.args.join(' ');
    let why = '';
    if (e.security === 'insecure' && !allow.insecure) why = 'asks for --security=insecure, which needs --allow security.insecure';
    else if (e.network === 'host' && !allow.hostNetwork) why = 'asks for --network=host, which needs --allow network.host';
    if (why) throw new StepError(name, why, rec.meta.locations, graph.sources, new BuildError(why));
  }
}
