// The few error classes every tool throws and every CLI maps to an exit code.
// Messages say what failed and why; `cause` keeps the underlying error.

export class PipekitError extends Error {
  /** process exit code a CLI uses for this error */
  exitCode = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line usage (unknown flag, missing argument). */
export class UsageError extends PipekitError {
  override exitCode = 2;
}

/** Input on the wire that a tool cannot understand: framing, version, schema, digests. */
export class WireFormatError extends PipekitError {
  line: number;
  constructor(message: string, options?: { cause?: unknown; line?: number }) {
    super(options?.line ? `stdin:${options.line}: ${message}` : message, options);
    this.line = options?.line ?? 0;
  }
}

/** Something named does not exist: a file, a blob, an image, a stage. */
export class NotFoundError extends PipekitError {}

/** A build step failed (a RUN exited non-zero, a COPY source is missing...). */
export class BuildError extends PipekitError {}

/** A remote (registry) could not be reached or answered wrongly. */
export class RemoteError extends PipekitError {}

/** Stored data did not verify (digest or size mismatch). */
export class IntegrityError extends PipekitError {}
