// Long synchronous walks (copies and checksums of big contexts) give the event
// loop a turn every few hundred entries; a build canceled meanwhile (Ctrl-C,
// SIGTERM) stops there instead of after the walk.
import { BuildError } from '@pipekit/wire';

/** Let other work (and signal handlers) run; throws when `signal` was aborted meanwhile. */
export async function nextTurn(signal?: AbortSignal): Promise<void> {
  await new Promise((r) => setImmediate(r));
  if (signal?.aborted) throw new BuildError('canceled');
}
