// The SSH agent protocol's framing (draft-miller-ssh-agent): uint32 length,
// then a message whose first byte is its type.
import { WireFormatError } from '@pipekit/wire';

/** OpenSSH's AGENT_MAX_LEN */
export const MAX_FRAME = 256 * 1024;
export const SSH_AGENT_FAILURE = 5;
export const SSH2_AGENTC_REQUEST_IDENTITIES = 11;
export const SSH2_AGENTC_SIGN_REQUEST = 13;
export const FAILURE_FRAME = Buffer.from([0, 0, 0, 1, SSH_AGENT_FAILURE]);

/** Whole frames (length prefix included) from a byte stream, `pre` first. */
export async function* agentFrames(src: AsyncIterable<Uint8Array>, pre?: Buffer): AsyncGenerator<Buffer> {
  let buf = pre ?? Buffer.alloc(0);
  const take = function* (): Generator<Buffer> {
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0);
      if (len === 0 || len > MAX_FRAME) throw new WireFormatError(`ssh agent message of ${len} bytes (limit ${MAX_FRAME})`);
      if (buf.length < 4 + len) return;
      yield buf.subarray(0, 4 + len);
      buf = buf.subarray(4 + len);
    }
  };
  yield* take();
  for await (const chunk of src) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : Buffer.from(chunk);
    yield* take();
  }
}
