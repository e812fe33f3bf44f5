// Bundles the pipe's CLIs (df-parse, llb-solve, export-oci, cas-store) into one
// CommonJS file each under packages/<tool>/dist/, so Node starts them in ~0.1 s
// instead of compiling TypeScript through tsx on every start. CommonJS because
// Node 20 can keep a V8 code cache only for scripts (see packages/wire/launch.cjs).
// Beside each bundle, <tool>.cjs.sources lists the workspace files it was built
// from: the bin launchers use a bundle only while it is newer than all of them.
// Deno runs the sources directly and never uses them. Usage: tsx scripts/bundle.ts
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { depModuleUrl } from './dep-module-url.ts';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const TOOLS = ['df-parse', 'llb-solve', 'export-oci', 'cas-store'];
// native addons and modules that find files next to themselves stay outside
const EXTERNAL = ['@napi-rs/xattr', 'ssh2', 'cpu-features', '@bokuweb/zstd-wasm', 'fflate'];
// loaded on first use, not at start: most runs never touch the registry,
// compression threads or containers, and --help needs none of them. Each
// `require("X")` of these becomes a proxy that requires X on first access.
const LAZY = ['node:https', 'node:http', 'node:tls', 'node:net', 'node:child_process', 'node:zlib', 'node:worker_threads', 'node:crypto', 'node:stream', 'node:stream/promises', '@napi-rs/xattr', 'fflate', 'ssh2'];
// `esm`: the proxy stands for esbuild's __toESM(require(X), 1) too, whose
// `default` is the module itself; copying its keys eagerly would load X.
const LAZY_HELPER = [
  'var __pipekitLazy = (id, esm) => {',
  '  let m;',
  '  const load = () => (m ??= require(id));',
  '  return new Proxy({}, {',
  "    get: (_, k) => (esm && k === 'default' ? load() : load()[k]),",
  '    has: (_, k) => k in load(),',
  '    ownKeys: () => Reflect.ownKeys(load()),',
  '    getOwnPropertyDescriptor: (_, k) => {',
  '      const d = Reflect.getOwnPropertyDescriptor(load(), k);',
  '      return d && { ...d, configurable: true };',
  '    },',
  '  });',
  '};',
].join('\n');

/**
 * esbuild's __toESM copies every key of a module into a fresh object at each
 * import site: 28 imports of node:process and 53 of node:path cost llb-solve
 * about 10 ms of start-up. Node-mode results depend only on the module, so
 * each module's is built once.
 */
function memoizeToESM(code: string, tool: string): string {
  // esbuild renames the helper's parameter (target2, ...) when the bundle has a `target` of its own
  const defs = code.match(/var __toESM = \(mod, isNodeMode, target\d*\) =>/g) ?? [];
  if (defs.length === 0) {
    if (code.includes('__toESM(')) throw new Error(`${tool}: esbuild's __toESM helper changed shape; memoizeToESM no longer applies`);
    return code;
  }
  if (defs.length !== 1) throw new Error(`${tool}: more than one __toESM helper in the bundle`);
  const memo = [
    'var __pipekitESM = new WeakMap();',
    'var __toESM = (mod, isNodeMode) => {',
    "  if (!isNodeMode || mod === null || (typeof mod !== 'object' && typeof mod !== 'function')) return __toESMOnce(mod, isNodeMode);",
    '  let ns = __pipekitESM.get(mod);',
    '  if (!ns) __pipekitESM.set(mod, (ns = __toESMOnce(mod, isNodeMode)));',
    '  return ns;',
    '};',
  ].join('\n');
  return code.replace(defs[0], `${memo}\n${defs[0].replace('var __toESM =', 'var __toESMOnce =')}`);
}

for (const tool of TOOLS) {
  const dir = path.join(root, 'packages', tool);
  const dist = path.join(dir, 'dist');
  const outfile = path.join(dist, `${tool}.cjs`);
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const res = await build({
    entryPoints: [path.join(dir, 'src', 'cli.ts')],
    outfile,
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    // the workspace sources find files beside the bundle through import.meta.url
    define: { 'import.meta.url': '__pipekitModuleUrl' },
    banner: { js: `var __pipekitModuleUrl = require('node:url').pathToFileURL(__filename).href;\n${LAZY_HELPER}` },
    plugins: [depModuleUrl()],
    metafile: true,
    logLevel: 'warning',
  });
  // the launcher runs a bundle as a script, where import() fails at run time
  let code = readFileSync(outfile, 'utf8');
  if (/[^\w$.]import\(/.test(code)) throw new Error(`${tool}: the bundle uses import(); use require (createRequire) for lazy loads`);
  for (const id of LAZY) {
    const q = JSON.stringify(id);
    code = code.split(`__toESM(require(${q}), 1)`).join(`__pipekitLazy(${q}, true)`).split(`require(${q})`).join(`__pipekitLazy(${q})`);
  }
  code = memoizeToESM(code, tool);
  writeFileSync(outfile, code);
  const sources = Object.keys(res.metafile.inputs).filter((f) => f.startsWith('packages/'));
  // export-oci's compression workers are loaded by path next to the module
  // (llb-solve compresses layers ahead with the same code)
  if (sources.includes('packages/export-oci/src/compress-pool.ts')) {
    for (const f of ['compress-worker.mjs', 'block-codec.mjs']) {
      copyFileSync(path.join(root, 'packages', 'export-oci', 'src', f), path.join(dist, f));
      sources.push(`packages/export-oci/src/${f}`);
    }
  }
  writeFileSync(`${outfile}.sources`, `${[...new Set(sources)].join('\n')}\n`);
  process.stdout.write(`bundled ${tool}\n`);
}
