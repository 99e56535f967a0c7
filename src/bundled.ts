/**
 * Whether this code runs from the esbuild bundle in dist/bundle/ (scripts/bundle.mjs defines
 * GLMFLOW_BUNDLED there) rather than from tsc's tree under dist/. Only the two URLs that name an
 * entry point loaded at run time (the worker script, the node registry) depend on it: every
 * other `import.meta.url` keeps its unbundled meaning in the bundle.
 */
declare const GLMFLOW_BUNDLED: boolean | undefined;

export const isBundled: boolean = typeof GLMFLOW_BUNDLED !== 'undefined' && GLMFLOW_BUNDLED === true;
