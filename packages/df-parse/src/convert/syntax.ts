// `# syntax=` picks a frontend image in BuildKit. BuildKit's own Dockerfile
// frontends (docker/dockerfile and docker/dockerfile-upstream, 1.x, -labs,
// experimental, master) are what this built-in frontend implements, so they are
// served here and never pulled; any other frontend image cannot be, and saying
// so beats silently building something different.
const OFFICIAL = /^(?:(?:docker\.io|index\.docker\.io)\/)?docker\/dockerfile(?:-upstream)?(?::([^@]+))?(?:@sha256:[0-9a-f]{64})?$/;

/** null when the built-in frontend serves `syntax`, else why not. */
export function unsupportedSyntax(syntax: string | undefined): string | null {
  if (syntax === undefined) return null;
  const s = syntax.trim();
  const m = OFFICIAL.exec(s);
  if (m) {
    const tag = m[1] ?? 'latest';
    // a numbered tag must be major version 1 (1, 1.7, 1.7.1, 1-labs, 1.0.0-experimental)
    if (/^\d/.test(tag) && !/^1(?:[.-]|$)/.test(tag)) return `unsupported syntax ${JSON.stringify(s)}: the built-in frontend implements docker/dockerfile:1.x, not ${tag}`;
    return null;
  }
  return `unsupported syntax ${JSON.stringify(s)}: pipekit does not pull frontend images; only docker/dockerfile:1.x is served (by the built-in frontend)`;
}
