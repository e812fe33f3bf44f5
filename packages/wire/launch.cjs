// Starts a CLI from its bin file: the bundle from scripts/bundle.ts when it is
// newer than every workspace source it was built from (fast start), otherwise
// the TypeScript sources through tsx (Node 20 cannot run TypeScript by itself).
// CommonJS, as the bins are: a start that never touches an ES module skips
// setting up Node's ES module loader, about 8 ms of every tool's start-up.
'use strict';
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const vm = require('node:vm');

/** True when every source listed beside the bundle is older than it (a missing one counts as changed). */
function bundleFresh(bundle, root) {
  const builtMs = statSync(bundle).mtimeMs;
  // plain concatenation: the listed paths are already normal, and a first
  // path.join costs more than the hundred-odd stats together
  const base = `${root}/`;
  for (const f of readFileSync(`${bundle}.sources`, 'utf8').split('\n')) {
    if (!f) continue;
    const st = statSync(base + f, { throwIfNoEntry: false });
    if (!st || st.mtimeMs > builtMs) return false;
  }
  return true;
}

/**
 * Runs the CommonJS bundle with a V8 code cache kept beside it: compiling the
 * bundle (and the functions a run calls) is a large part of a tool's start-up,
 * and Node 20 has no compile cache of its own. The cache is written when
 * missing or rejected (another Node version), by a run that did real work;
 * failing to write it costs nothing but speed. A script has no import(): scripts/bundle.ts refuses one.
 */
const SHORT_RUN_FLAGS = new Set(['--help', '-h', '--version']);

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
    process.once('exit', (code) => {
      // the cache holds the functions this run compiled: one from --help, or
      // from a run that failed early, would leave every later run compiling
      // the rest; the next full run writes it instead
      if (code !== 0 || process.argv.some((a) => SHORT_RUN_FLAGS.has(a))) return;
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // a read-only install runs without the cache
      }
    });
  }
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(bundle), mod, bundle, path.dirname(bundle));
}

/** `binFile` is the bin's __filename; `tool` names packages/<tool>/dist/<tool>.cjs. */
function launch(binFile, tool) {
  // bin/<tool> moved NODE_EXTRA_CA_CERTS aside so Node would not parse it at
  // start-up: put it back for the tool's own TLS code and for child processes
  if (process.env.PIPEKIT_EXTRA_CA_CERTS !== undefined) {
    process.env.NODE_EXTRA_CA_CERTS = process.env.PIPEKIT_EXTRA_CA_CERTS;
    delete process.env.PIPEKIT_EXTRA_CA_CERTS;
  }
  const pkg = path.dirname(path.dirname(binFile));
  const bundle = path.join(pkg, 'dist', `${tool}.cjs`);
  let fresh = false;
  if (process.env.PIPEKIT_NO_BUNDLE !== '1') {
    try {
      fresh = bundleFresh(bundle, path.dirname(path.dirname(pkg)));
    } catch {
      fresh = false;
    }
  }
  if (fresh) return runBundle(bundle);
  // the sources are ES modules: tsx's ESM loader, then the CLI module
  return import('tsx/esm/api').then(({ register }) => {
    register();
    return import(pathToFileURL(path.join(pkg, 'src', 'cli.ts')).href);
  });
}

module.exports = { launch };
