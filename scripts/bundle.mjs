// Build step (npm run build / prepare, after tsc and build-validator.mjs): bundles the compiled
// CLI, the worker-thread entry and the node registry with esbuild into dist/bundle/, so that a
// `glmflow` process and each of its worker threads load a few large files instead of ~300 of our
// modules and ~1000 CommonJS files of the dependencies (Node's module loading was ~0.5 s of CPU
// per thread at start-up, three threads competing for the cores).
//
// Layout: every output file sits directly in dist/bundle/ (entries glmflow.js, node-worker.js,
// nodes.js; shared code in chunk-*.js, code split at dynamic imports so lazily loaded modules
// stay lazy). A worker imports node-worker.js and nodes.js, which share their chunks, so the
// worker entry and the nodes see one instance of each module (as in the unbundled tree).
//
// `import.meta.url` in a bundled module is rewritten to the URL its unbundled file has
// (dist/src/io/mni152.js, node_modules/yoga-layout/...), so every path a module finds relative
// to itself (the schema, package.json, data/mni152, fonts, the ajv validator) resolves as it
// does without the bundle. The two URLs that name entry points (the worker script, the
// registry module) choose the bundle's entries when GLMFLOW_BUNDLED is defined (src/bundled.ts).
//
// bin/glmflow.js runs the bundle only when it is at least as new as tsc's dist/src/cli/main.js
// (bin/cli-module.js): after a bare `npx tsc` the unbundled tree runs, never a stale bundle.
// Source maps chain to the TypeScript sources (glmflow --verbose enables them for stack traces).
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const outdir = join(dist, 'bundle');

/** Rewrites `import.meta.url` to the URL of the module's own (unbundled) file. */
const ownUrlPlugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.(c|m)?js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = relative(outdir, args.path).split('\\').join('/');
      return { contents: text.replace(/\bimport\.meta\.url\b/g, `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    glmflow: join(dist, 'src/cli/main.js'),
    'node-worker': join(dist, 'src/engine/node-worker.js'),
    nodes: join(dist, 'nodes/index.js'),
  },
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // the native Skia binding is loaded by require() at run time (src/plot/canvas.ts); ink imports
  // react-devtools-core (not installed) only when DEV=true
  external: ['@napi-rs/canvas', 'react-devtools-core'],
  define: { GLMFLOW_BUNDLED: 'true' },
  // CommonJS dependencies bundled into ES modules call require() for Node's built-ins
  banner: { js: "import { createRequire as __glmflowCreateRequire } from 'node:module'; const require = __glmflowCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  // non-ASCII characters as they are (the report's browser script is serialised from a function)
  charset: 'utf8',
  logLevel: 'warning',
  plugins: [ownUrlPlugin],
});
