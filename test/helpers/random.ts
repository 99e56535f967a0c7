/**
 * The seeded test data of the single-trial unit tests: mulberry32 uniforms and Box-Muller
 * normals. The product's generator is src/stats/core/prng.ts (Rng); these tests keep their own
 * small stream because their expectations (e.g. an estimate within 1 of its true value on
 * four voxels) were set on exactly these draws.
 */

/** mulberry32: uniforms in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One standard normal draw (Box-Muller, cosine branch) from two uniforms of `r`. */
export const gauss = (r: () => number): number => Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());
