import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths.js';
import { readNifti } from '../../src/io/nifti.js';
import { smoothVolumes } from '../../src/stats/image/smooth.js';
import { fitSecondLevel, computeSecondLevelContrast, type ContrastMaps } from '../../src/stats/second-level/second-level.js';

interface Case {
  name: string;
  inputs: string[];
  mask: string;
  design_matrix?: Record<string, number[]>;
  smoothing_fwhm?: number | null;
  outputs: Record<string, Record<string, string>>;
}

const manifest = JSON.parse(readFileSync(fixture('second_level', 'manifest.json'), 'utf8')) as { cases: Case[] };

/** Correlation and 99.9th percentile of |a - b|, plus max |a - b| and max |b|. */
function compare(a: ArrayLike<number>, b: ArrayLike<number>) {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) (ma += a[i]), (mb += b[i]);
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0, maxDiff = 0, maxRef = 0;
  const diffs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
    diffs[i] = Math.abs(a[i] - b[i]);
    maxDiff = Math.max(maxDiff, diffs[i]);
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  diffs.sort();
  const p999 = diffs[Math.min(n - 1, Math.ceil(0.999 * (n - 1)))];
  return { corr: sab / Math.sqrt(saa * sbb), p999, maxDiff, maxRef };
}

async function loadGroup(c: Case) {
  const mask = await readNifti(fixture(c.mask));
  const [nx, ny, nz] = mask.dims;
  const nvox = nx * ny * nz;
  const idx: number[] = [];
  for (let v = 0; v < nvox; v++) if (mask.data[v] !== 0) idx.push(v);
  const imgs = await Promise.all(c.inputs.map((p) => readNifti(fixture(p))));
  // nilearn's masker smooths the stacked float32 4D image, then masks it
  let stack = new Float32Array(nvox * imgs.length);
  imgs.forEach((im, s) => stack.set(im.data.subarray(0, nvox), s * nvox));
  if (c.smoothing_fwhm) stack = smoothVolumes(stack, [nx, ny, nz, imgs.length], mask.affine, c.smoothing_fwhm);
  const V = idx.length;
  const Y = new Float32Array(imgs.length * V);
  for (let s = 0; s < imgs.length; s++) for (let k = 0; k < V; k++) Y[s * V + k] = stack[s * nvox + idx[k]];
  return { Y, idx, mask };
}

function designOf(c: Case) {
  const columns = Object.keys(c.design_matrix!);
  const n = c.inputs.length;
  const data = new Float64Array(n * columns.length);
  columns.forEach((col, j) => c.design_matrix![col].forEach((x, i) => (data[i * columns.length + j] = x)));
  return { columns, matrix: { rows: n, cols: columns.length, data } };
}

// tolerances: README parity for z / t; float32 storage bounds the others
const TOL: Record<keyof ContrastMaps, { corr: number; p999: number; relMax?: number }> = {
  z_score: { corr: 0.9999, p999: 1e-3 },
  stat: { corr: 0.9999, p999: 1e-3 },
  p_value: { corr: 0.9999, p999: 1e-6 },
  effect_size: { corr: 0.9999, p999: 1e-5, relMax: 1e-5 },
  effect_variance: { corr: 0.9999, p999: 1e-5, relMax: 1e-5 },
};

for (const c of manifest.cases.filter((x) => x.design_matrix)) {
  test(`second level ${c.name} matches nilearn`, async (t) => {
    const { Y, idx } = await loadGroup(c);
    const design = designOf(c);
    const fit = fitSecondLevel(Y, design);
    assert.equal(fit.dof, c.inputs.length - design.columns.length);
    for (const [contrast, outs] of Object.entries(c.outputs)) {
      const maps = computeSecondLevelContrast(fit, contrast);
      for (const [kind, file] of Object.entries(outs)) {
        const ref = await readNifti(fixture(file));
        const refVals = idx.map((v) => ref.data[v]);
        const ours = maps[kind as keyof ContrastMaps];
        // outputs are stored as float32 like nilearn's images
        const got = Array.from(Float32Array.from(ours));
        const r = compare(got, refVals);
        t.diagnostic(
          `${c.name}/${contrast}/${kind}: corr=${r.corr.toFixed(9)} p99.9|d|=${r.p999.toExponential(2)} max|d|=${r.maxDiff.toExponential(2)} (max|ref|=${r.maxRef.toExponential(2)})`,
        );
        const tol = TOL[kind as keyof ContrastMaps];
        assert.ok(r.corr >= tol.corr, `${c.name}/${contrast}/${kind}: corr ${r.corr}`);
        assert.ok(r.p999 <= tol.p999 * (tol.relMax ? Math.max(1, r.maxRef) : 1), `${c.name}/${contrast}/${kind}: p99.9 ${r.p999}`);
        if (tol.relMax) assert.ok(r.maxDiff <= tol.relMax * r.maxRef, `${c.name}/${contrast}/${kind}: max diff ${r.maxDiff}`);
      }
    }
  });
}

test('second level OLS on a hand-checked one-sample case', () => {
  // 4 subjects, 2 voxels; intercept-only design: t = mean / (sd / sqrt(n))
  const Y = Float64Array.from([1, 2, 2, 4, 3, 6, 6, 0]); // subject-major: [s0v0, s0v1, s1v0, ...]
  const design = { columns: ['intercept'], matrix: { rows: 4, cols: 1, data: Float64Array.from([1, 1, 1, 1]) } };
  const fit = fitSecondLevel(Y, design);
  const m = computeSecondLevelContrast(fit, [1]);
  // voxel 0: values 1,2,3,6 -> mean 3, sample var = (4+1+0+9)/3 = 14/3
  assert.ok(Math.abs(m.effect_size[0] - 3) < 1e-12);
  assert.ok(Math.abs(m.effect_variance[0] - 14 / 3 / 4) < 1e-12);
  assert.ok(Math.abs(m.stat[0] - 3 / Math.sqrt(14 / 12)) < 1e-12);
  // voxel 1: values 2,4,6,0 -> mean 3, var = (1+1+9+9)/3 = 20/3
  assert.ok(Math.abs(m.stat[1] - 3 / Math.sqrt(20 / 12)) < 1e-12);
  // scipy: t.sf(3 / sqrt(14/12), 3) = 0.034568434632214366, norm.isf of it = 1.817524311096284
  assert.ok(Math.abs(m.p_value[0] - 0.034568434632214366) < 1e-13, String(m.p_value[0]));
  assert.ok(Math.abs(m.z_score[0] - 1.817524311096284) < 1e-12, String(m.z_score[0]));
});
