// Starts a CLI from its bin file: the bundle from scripts/bundle.ts when it is
// newer than every source file of the workspace (fast start), otherwise the
// TypeScript sources through tsx (Node 20 cannot run TypeScript by itself).
// Plain JavaScript: it runs before any TypeScript loader exists.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function newerSources(builtMs, packagesDir) {
  for (const pkg of readdirSync(packagesDir)) {
    let files;
    try {
      files = readdirSync(`${packagesDir}${pkg}/src`, { recursive: true });
    } catch {
      continue;
    }
    for (const f of files) if (statSync(`${packagesDir}${pkg}/src/${f}`).mtimeMs > builtMs) return true;
  }
  return false;
}

/** `binUrl` is the bin file's import.meta.url; `tool` names packages/<tool>/dist/<tool>.mjs. */
export async function launch(binUrl, tool) {
  const bundle = new URL(`../dist/${tool}.mjs`, binUrl);
  let fresh = false;
  if (process.env.PIPEKIT_NO_BUNDLE !== '1') {
    try {
      fresh = !newerSources(statSync(bundle).mtimeMs, fileURLToPath(new URL('../../', binUrl)));
    } catch {
      fresh = false;
    }
  }
  if (fresh) {
    await import(bundle.href);
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli.ts', binUrl).href);
}
