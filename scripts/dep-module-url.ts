// An esbuild plugin for the CLI bundles: a dependency's import.meta.url stays
// its own file's URL, as when the sources run, instead of the bundle's.
// yargs looks for the package.json above its own module to guess --version;
// given the bundle's URL (no node_modules in the path) it searched upwards from
// the current directory instead, reading every directory up to / (/tmp alone can
// hold thousands of entries) on each start, and printed whatever version it found.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

export function depModuleUrl(): Plugin {
  return {
    name: 'dep-module-url',
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.m?js$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined; // esbuild loads it as usual
        return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'js' };
      });
    },
  };
}
