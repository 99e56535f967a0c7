/**
 * The report node draws group maps as SPEC report.threshold says: by default one figure set
 * per inference method (its corrected map at its corrected threshold), a method label draws
 * only that method, a z value draws the uncorrected z map at that value. Checked through the
 * written PNGs: the threshold decides which voxels are coloured.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { report, type ReportParams } from '../../nodes/report.js';
import type { Artifact, NodeInputs } from '../../src/engine/types.js';
import { decodePng, isGrey, pixel } from '../helpers/png-pixels.js';

const dirs: string[] = [];
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const dims = [12, 12, 12];
const affine = [[4, 0, 0, -22], [0, 4, 0, -22], [0, 0, 4, -22], [0, 0, 0, 1]];
const n = 12 ** 3;
// group z: a strong voxel block (z 6, peak 6.5) and a weak one (z 3.5); FDR keeps both, "permutation" only the strong one
const z = new Float32Array(n);
const at = (i: number, j: number, k: number) => i + 12 * (j + 12 * k);
for (let k = 5; k < 8; k++) for (let j = 5; j < 8; j++) { z[at(2, j, k)] = 6; z[at(9, j, k)] = 3.5; }
z[at(2, 6, 6)] = 6.5; // the peak (white in cold_hot); the rest of the strong block stays coloured
const indices = Int32Array.from({ length: n }, (_, i) => i);

function group(): Artifact {
  return {
    meta: { contrast: 'face', dims, affine, nVoxels: n, subjects: ['01', '02'], columns: ['intercept'], design: [[1], [1]], tests: [{ label: 'face', weights: [1] }], dof: 1 } as any,
    arrays: { indices, 't0.z_score': z },
  };
}
function correction(label: string, threshold: number | null, keep: (v: number) => boolean): Artifact {
  const corrected = z.map((v) => (keep(v) ? v : 0));
  return {
    meta: { test: 'face', label, method: label, threshold, alpha: 0.05, twoSided: true, clusterThreshold: 0, nSignificant: corrected.filter((v) => v !== 0).length, clusters: [], logpMaps: [] } as any,
    arrays: { corrected },
  };
}

async function run(threshold?: number | string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-report-fig-'));
  dirs.push(dir);
  const p: ReportParams = {
    dir, name: 't', specHash: 'h', version: '0', dataset: {}, parameters: [], designs: [], masks: [], contrasts: [], underlays: [], ids: {},
    ...(threshold !== undefined ? { threshold } : {}),
  };
  const inputs: NodeInputs = {
    nodes: { groups: [group()], corrections: [correction('fdr', 3.2, (v) => v >= 3.2), correction('permutation', null, (v) => v >= 5)] },
    files: {}, keys: {}, lazy: {},
  };
  const ctx = { progress: () => {}, warn: () => {}, signal: new AbortController().signal, scratchDir: dir };
  await report.run(ctx, p, inputs);
  return dir;
}

/** Warm (positive, coloured) pixels of a figure's image area (title, colour bar and footer left out). */
function warmPixels(png: string): number {
  const img = decodePng(readFileSync(png));
  let warm = 0;
  for (let y = 30; y < img.height - 25; y++)
    for (let x = 0; x < img.width - 70; x++) {
      const c = pixel(img, x, y);
      if (!isGrey(c) && c[0] > c[2]) warm++;
    }
  return warm;
}

test('report figures: by default one set per inference method, at its corrected threshold', async () => {
  const dir = await run();
  const figs = readdirSync(join(dir, 'figures')).sort();
  assert.deepEqual(figs, [
    'group_contrast-face_stat-z_fdr-corrected.png', 'group_contrast-face_stat-z_fdr-corrected_glass.png', 'group_contrast-face_stat-z_fdr-corrected_mosaic.png',
    'group_contrast-face_stat-z_permutation-corrected.png', 'group_contrast-face_stat-z_permutation-corrected_glass.png', 'group_contrast-face_stat-z_permutation-corrected_mosaic.png',
  ]);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  for (const f of figs) assert.ok(html.includes(`figures/${f}`), `${f} in the report`);
});

test('report figures: report.threshold as a method label or a z value', async () => {
  const byMethod = await run('permutation');
  assert.deepEqual(readdirSync(join(byMethod, 'figures')).filter((f) => f.endsWith('_glass.png')), ['group_contrast-face_stat-z_permutation-corrected_glass.png']);
  const perm = warmPixels(join(byMethod, 'figures', 'group_contrast-face_stat-z_permutation-corrected_glass.png'));
  const byZ = await run(3);
  assert.deepEqual(readdirSync(join(byZ, 'figures')).sort(), ['group_contrast-face_stat-z.png', 'group_contrast-face_stat-z_glass.png', 'group_contrast-face_stat-z_mosaic.png']);
  const low = warmPixels(join(byZ, 'figures', 'group_contrast-face_stat-z_glass.png'));
  const high = warmPixels(join(await run(5), 'figures', 'group_contrast-face_stat-z_glass.png'));
  // z >= 3 draws both blocks, z >= 5 only the strong one: the permutation map's voxels, drawn alike
  assert.ok(high > 0 && low > 1.3 * high, `${low} warm pixels at z 3, ${high} at z 5`);
  assert.equal(perm, high);
});
