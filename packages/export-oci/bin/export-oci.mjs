#!/usr/bin/env node
// Start the CLI: the bundle from scripts/bundle.ts when it is newer than every
// source file of the workspace (fast start), otherwise the TypeScript sources
// through tsx (Node 20 cannot run TypeScript by itself).
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TOOL = 'export-oci';
const bundle = new URL(`../dist/${TOOL}.mjs`, import.meta.url);

function bundleIsFresh() {
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return false;
  }
  const packages = fileURLToPath(new URL('../../', import.meta.url));
  for (const pkg of readdirSync(packages)) {
    let files;
    try {
      files = readdirSync(`${packages}${pkg}/src`, { recursive: true });
    } catch {
      continue;
    }
    for (const f of files) if (statSync(`${packages}${pkg}/src/${f}`).mtimeMs > built) return false;
  }
  return true;
}

if (process.env.PIPEKIT_NO_BUNDLE !== '1' && bundleIsFresh()) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
