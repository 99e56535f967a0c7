/**
 * The simulated task: a block design with three categories (face, scene, object).
 * Each run has 3 x m blocks of BLOCK_DURATION s; every consecutive triple of blocks shows the
 * three categories in a random order, and the rest periods between blocks are jittered
 * (at least MIN_REST s), so the onsets differ per subject and run.
 */
import type { Rng } from '../stats/core/prng.js';

export const CONDITIONS = ['face', 'scene', 'object'] as const;
export type Condition = (typeof CONDITIONS)[number];

export const BLOCK_DURATION = 12;
const MIN_REST = 6;
/** Time left after the last block for the response to return to baseline. */
const TAIL = 16;

export interface Block {
  onset: number;
  duration: number;
  trialType: Condition;
  /**
   * Trial-wise response (simulate --trial-sd): this block's amplitudes are its condition's
   * times `gain`. Absent: exactly the condition's.
   */
  gain?: number;
}

/** Draws each block's gain, max(0, 1 + sd·N(0, 1)) (trial-wise responses around the condition's). */
export function drawTrialGains(rng: Rng, blocks: Block[], sd: number): void {
  for (const b of blocks) b.gain = Math.max(0, 1 + sd * rng.normal());
}

/** Blocks of one run lasting `runSeconds` (nScans * TR); onsets rounded to 10 ms. */
export function makeBlocks(rng: Rng, runSeconds: number): Block[] {
  const start = 6 + rng.between(0, 4);
  const room = (nBlocks: number) => runSeconds - TAIL - start - nBlocks * BLOCK_DURATION - (nBlocks - 1) * MIN_REST;
  let triples = 1;
  // As many triples as fit with rests of at least MIN_REST and on average at least 1.5 * MIN_REST
  // (110 scans of 2 s: 9 blocks).
  while (room(3 * (triples + 1)) >= ((3 * (triples + 1) - 1) * MIN_REST) / 2) triples++;
  const nBlocks = 3 * triples;
  const extra = Math.max(0, room(nBlocks));
  const weights = Array.from({ length: nBlocks - 1 }, () => 0.5 + rng.uniform());
  const wsum = weights.reduce((a, b) => a + b, 0);
  const order: Condition[] = [];
  for (let t = 0; t < triples; t++) order.push(...rng.shuffled(CONDITIONS));
  const blocks: Block[] = [];
  let t = start;
  for (let b = 0; b < nBlocks; b++) {
    blocks.push({ onset: Math.round(t * 100) / 100, duration: BLOCK_DURATION, trialType: order[b] });
    if (b < nBlocks - 1) t += BLOCK_DURATION + MIN_REST + (extra * weights[b]) / wsum;
  }
  return blocks;
}
