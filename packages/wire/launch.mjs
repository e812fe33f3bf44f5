// Starts a CLI from its bin file: the bundle from scripts/bundle.ts when it is
// newer than every workspace source it was built from (fast start), otherwise
// the TypeScript sources through tsx (Node 20 cannot run TypeScript by itself).
// Plain JavaScript: it runs before any TypeScript loader exists.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/** True when every source listed beside the bundle is older than it (a missing one counts as changed). */
function bundleFresh(bundle, root) {
  const builtMs = statSync(bundle).mtimeMs;
  const sources = readFileSync(`${bundle}.sources`, 'utf8').split('\n').filter(Boolean);
  for (const f of sources) {
    const st = statSync(`${root}${f}`, { throwIfNoEntry: false });
    if (!st || st.mtimeMs > builtMs) return false;
  }
  return true;
}

/**
 * Runs the CommonJS bundle with a V8 code cache kept beside it: compiling the
 * bundle (and the functions a run calls) is a large part of a tool's start-up,
 * and Node 20 has no compile cache for ES modules. The cache is written when
 * missing or rejected (another Node version); failing to write it costs
 * nothing but speed. A script has no import(): scripts/bundle.ts refuses one.
 */
function runBundle(bundle) {
  const cacheFile = `${bundle}.v8cache`;
  const source = readFileSync(bundle, 'utf8');
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
  });
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // a read-only install runs without the cache
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, bundle.slice(0, bundle.lastIndexOf('/')));
}

/** `binUrl` is the bin file's import.meta.url; `tool` names packages/<tool>/dist/<tool>.cjs. */
export async function launch(binUrl, tool) {
  const bundle = fileURLToPath(new URL(`../dist/${tool}.cjs`, binUrl));
  let fresh = false;
  if (process.env.PIPEKIT_NO_BUNDLE !== '1') {
    try {
      fresh = bundleFresh(bundle, fileURLToPath(new URL('../../../', binUrl)));
    } catch {
      fresh = false;
    }
  }
  if (fresh) return runBundle(bundle);
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli.ts', binUrl).href);
}
