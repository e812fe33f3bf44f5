// `--ssh ID=KEYFILE[,KEYFILE]`: an in-memory SSH agent over passphrase-less
// private keys, speaking the agent protocol with ssh2's AgentProtocol. It lists
// and signs; every other request (add, remove, lock...) gets SSH_AGENT_FAILURE.
import type { Duplex } from 'node:stream';
import type { ParsedKey } from 'ssh2';
import type { AgentRequest as Req, Ssh2 } from './ssh2.ts';
import type { AgentBackend } from './types.ts';

export class Keyring implements AgentBackend {
  private keys: ParsedKey[];
  private files: string[];
  private AgentProtocol: Ssh2['AgentProtocol'];
  /** `ssh2` from loadSsh2(): the keys came from it, so it is loaded already */
  constructor(keys: ParsedKey[], files: string[], ssh2: Ssh2) {
    this.keys = keys;
    this.files = files;
    this.AgentProtocol = ssh2.AgentProtocol;
  }

  describe(): string {
    return `in-memory agent: ${this.keys.length} key(s) from ${this.files.join(', ')}`;
  }

  serve(conn: Duplex, pre?: Buffer): void {
    const proto = new this.AgentProtocol(false);
    proto.on('identities', (req: Req) => proto.getIdentitiesReply(req, this.keys));
    proto.on('sign', (req: Req, pub: ParsedKey, data: Buffer, flags: { hash?: string }) => {
      const blob = pub.getPublicSSH();
      const key = this.keys.find((k) => k.getPublicSSH().equals(blob));
      const sig = key?.sign(data, flags.hash);
      if (!sig || sig instanceof Error) proto.failureReply(req);
      else proto.signReply(req, sig);
    });
    const end = () => {
      proto.destroy();
      conn.destroy();
    };
    proto.on('error', end);
    conn.on('error', end);
    conn.on('close', end);
    if (pre?.length) proto.write(pre);
    conn.pipe(proto).pipe(conn);
  }
}
