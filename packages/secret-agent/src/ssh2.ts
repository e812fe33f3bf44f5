// ssh2 (a CommonJS package with a native add-on) costs a CLI ~20 ms to load,
// and only `--ssh ID=KEYFILE` needs it: it is required on first use (require,
// not import(), because the CLI bundles are scripts that cannot import()).
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { ParsedKey } from 'ssh2';

export type AgentRequest = object;
export type AgentProtocolStream = Duplex & {
  getIdentitiesReply(req: AgentRequest, keys: ParsedKey[]): boolean;
  signReply(req: AgentRequest, sig: Buffer): boolean;
  failureReply(req: AgentRequest): boolean;
};
export type Ssh2 = {
  utils: { parseKey(data: Buffer): ParsedKey | ParsedKey[] | Error };
  AgentProtocol: new (isClient: boolean) => AgentProtocolStream;
};

let loaded: Ssh2 | undefined;

export function loadSsh2(): Ssh2 {
  loaded ??= createRequire(import.meta.url)('ssh2') as Ssh2;
  return loaded;
}
