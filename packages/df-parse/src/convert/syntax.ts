// `# syntax=` picks a frontend image in BuildKit. The docker/dockerfile:1.x
// frontends (and docker/dockerfile-upstream, -labs tags) are what this built-in
// frontend implements, so they are served here and never pulled; any other
// frontend image cannot be, and saying so beats silently building differently.
const OFFICIAL = /^(?:docker\.io\/)?docker\/dockerfile(?:-upstream)?(?::([^@]+))?(?:@sha256:[0-9a-f]{64})?$/;

/** null when the built-in frontend serves `syntax`, else why not. */
export function unsupportedSyntax(syntax: string | undefined): string | null {
  if (syntax === undefined) return null;
  const s = syntax.trim();
  const m = OFFICIAL.exec(s);
  if (m) {
    const tag = m[1] ?? 'latest';
    if (/^(latest|labs|1|1-labs|1\.\d+(\.\d+)?(-labs)?)$/.test(tag)) return null;
    return `unsupported syntax ${JSON.stringify(s)}: the built-in frontend implements docker/dockerfile:1.x, not tag ${JSON.stringify(tag)}`;
  }
  return `unsupported syntax ${JSON.stringify(s)}: pipekit does not pull frontend images; only docker/dockerfile:1.x is served (by the built-in frontend)`;
}
