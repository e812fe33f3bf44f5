// An esbuild plugin for the CLI bundles: a dependency's import.meta.url stays
// its own file's URL, as when the sources run, instead of the bundle's (the
// define in bundle.ts points workspace sources at the bundle). A package that
// finds files beside itself through import.meta.url (yargs did: its
// package.json, searching upwards from the wrong place) keeps working bundled.
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
