/**
 * The @stdlib t, F and normal distribution functions as ES imports, for the one dynamic import
 * in distributions.ts (loadDistributionFunctions): in the esbuild bundle (scripts/bundle.mjs)
 * that import is a chunk of its own holding the ~300 CommonJS files of these packages (~15 ms to
 * load instead of ~0.1 s through require), loaded by a worker before its first job and by nobody
 * else.
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import fCdf from '@stdlib/stats-base-dists-f-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';

export { tCdf, fCdf, normalCdf };
