// An esbuild plugin for the CLI bundles: packages whose only export is a
// default function, but whose module body is expensive, are initialised on the
// first call instead of at start-up. string-width builds an Intl.Segmenter and
// \p{RGI_Emoji} regular expressions when loaded (~15 ms of every CLI's start),
// yet yargs only calls it to lay out --help and usage errors.
import type { Plugin } from 'esbuild';

const NS = 'lazy-default';

export function lazyDefault(packages: string[]): Plugin {
  const filter = new RegExp(`^(${packages.map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
  return {
    name: NS,
    setup(build) {
      build.onResolve({ filter }, async (args) => {
        if (args.pluginData === NS) return undefined; // the wrapper's own require: the real module
        const real = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: NS });
        if (real.errors.length) return { errors: real.errors };
        return { path: real.path, namespace: NS };
      });
      // esbuild turns require() of an ES module into a lazily run module body
      build.onLoad({ filter: /.*/, namespace: NS }, (args) => ({
        contents: `let fn;\nexport default function (...args) {\n  fn ??= require(${JSON.stringify(args.path)}).default;\n  return fn(...args);\n}\n`,
        loader: 'js',
        resolveDir: '/',
      }));
    },
  };
}
