/**
 * End to end on a LAION-like dataset (`glmflow simulate --layout laion --sessions 2`): a spec
 * with data.desc: optcom and per-subject roi.masks patterns runs; the ROI table's map means
 * are the means of the written map over each mask (computed here from the files), the
 * responsive mask beats the one without effect, and the time series columns are the BOLD's
 * mask means. Then the refusals before computing (a missing mask file naming the subject, a
 * non-binary mask, a mask on another grid naming both grids) and the nearest-neighbour path
 * on a hand-made mask of 8 mm voxels.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readNifti } from '../../src/io/nifti.js';
import { writeNifti } from '../../src/io/nifti-write.js';
import { readTsv } from '../../src/io/tsv.js';
import { glmflow } from '../helpers/cli.js';

let tmp: string;
let data: string;
let gt: { roi_masks: { name: string; file: string; faceVsScene: string; responsive: boolean }[]; layout: { echo_times_s: number[] } };

const SUBJECTS = ['01', '02'];
const BOLD = (s: string, ses: string) =>
  join(data, 'derivatives', 'fmriprep', `sub-${s}`, `ses-${ses}`, 'func', `sub-${s}_ses-${ses}_task-faces_run-1_space-T1w_desc-optcom_bold.nii.gz`);

function spec(dir: string, roi: string, extra = ''): string {
  const file = join(dir, 'spec.yaml');
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `glmflow: 1
name: laion
data:
  bids: ${data}
  derivatives: ${data}/derivatives/fmriprep
  task: faces
  space: T1w
  desc: optcom
output: out
first_level:
  noise_model: ols
  mask: derivatives
  contrasts:
    faceVsScene: face - scene
roi:
  confounds: false
${roi}
report: false
${extra}`);
  return file;
}

/** Mean of a 3D map over the voxels in both masks (each a 0/1 image on the map's grid). */
function meanOver(map: Float32Array, a: Float32Array, b: Float32Array): { mean: number; n: number } {
  let s = 0;
  let n = 0;
  for (let i = 0; i < map.length; i++) {
    if (a[i] !== 0 && b[i] !== 0) {
      s += map[i];
      n++;
    }
  }
  return { mean: s / n, n };
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'glmflow-laion-'));
  data = join(tmp, 'data');
  const r = await glmflow(['simulate', data, '--layout', 'laion', '--sessions', '2', '--subjects', '2', '--runs', '1', '--volumes', '40']);
  assert.equal(r.code, 0, r.stderr);
  gt = JSON.parse(readFileSync(join(data, 'ground_truth.json'), 'utf8'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('simulate --layout laion --sessions 2', () => {
  it('writes sessions x runs, multi-echo raw names with EchoTime, desc-optcom derivatives and the ROI masks of ground_truth.json', async () => {
    for (const s of SUBJECTS) {
      for (const ses of ['01', '02']) {
        assert.ok(existsSync(BOLD(s, ses)), BOLD(s, ses));
        gt.layout.echo_times_s.forEach((te, e) => {
          const base = join(data, `sub-${s}`, `ses-${ses}`, 'func', `sub-${s}_ses-${ses}_task-faces_run-1_echo-${e + 1}_part-mag_bold`);
          assert.ok(existsSync(`${base}.nii.gz`), base);
          assert.equal(JSON.parse(readFileSync(`${base}.json`, 'utf8')).EchoTime, te);
        });
      }
    }
    // the echoes decay: echo 1 > echo 3 everywhere in the brain
    const e1 = await readNifti(join(data, 'sub-01', 'ses-01', 'func', 'sub-01_ses-01_task-faces_run-1_echo-1_part-mag_bold.nii.gz'));
    const e3 = await readNifti(join(data, 'sub-01', 'ses-01', 'func', 'sub-01_ses-01_task-faces_run-1_echo-3_part-mag_bold.nii.gz'));
    const i = e1.data.findIndex((v) => v > 500);
    assert.ok(e1.data[i] > e3.data[i]);
    const names = gt.roi_masks.map((m) => m.name);
    assert.ok(names.includes('FFA') && names.includes('noeffect'));
    for (const m of gt.roi_masks) for (const s of SUBJECTS) assert.ok(existsSync(join(data, m.file.split('{subject}').join(s))), m.file);
  });
});

describe('roi.masks on the laion layout', () => {
  it('runs; map means equal the map mean over each mask; the responsive mask beats the null one; a touched mask recomputes nothing', async () => {
    const responsive = gt.roi_masks.find((m) => m.faceVsScene === 'positive')!;
    const nullMask = gt.roi_masks.find((m) => !m.responsive)!;
    const overlap = gt.roi_masks.find((m) => m.name === 'PPA')!;
    const dir = join(tmp, 'run');
    const masks = [responsive, overlap, nullMask].map((m) => `    ${m.name}: ${join(data, m.file)}`).join('\n');
    const file = spec(dir, `  masks:\n${masks}`);
    const r = await glmflow(['run', file, '--ui', 'json', '--cache', join(dir, 'cache'), '--jobs', '2']);
    assert.equal(r.code, 0, r.stderr);
    for (const s of SUBJECTS) {
      const t = await readTsv(join(dir, 'out', 'roi', `sub-${s}_contrast-faceVsScene_roi.tsv`));
      assert.deepEqual(t.raw('name'), [responsive.name, overlap.name, nullMask.name]);
      assert.deepEqual(t.raw('index'), [null, null, null], 'masks have no label index (n/a)');
      const effect = await readNifti(join(dir, 'out', 'first_level', `sub-${s}`, `sub-${s}_contrast-faceVsScene_stat-effect.nii.gz`));
      const analysis = await readNifti(join(dir, 'out', 'first_level', `sub-${s}`, `sub-${s}_mask.nii.gz`));
      const means: number[] = [];
      for (const [row, m] of [responsive, overlap, nullMask].entries()) {
        const mask = await readNifti(join(data, m.file.split('{subject}').join(s)));
        const expected = meanOver(effect.data, mask.data, analysis.data);
        const got = t.numeric('map_mean')[row];
        assert.ok(Math.abs(got - expected.mean) <= 1e-5 * Math.max(1, Math.abs(expected.mean)), `sub-${s} ${m.name}: map_mean ${got}, mean over the mask ${expected.mean}`);
        assert.equal(t.numeric('n_voxels')[row], mask.data.filter((v) => v !== 0).length);
        means.push(got);
      }
      assert.ok(means[0] > means[2] + 0.5, `sub-${s}: ${responsive.name} ${means[0]} vs ${nullMask.name} ${means[2]}`);
      assert.ok(t.numeric('effect')[0] > t.numeric('effect')[2]);
      assert.ok(t.numeric('effect')[1] < 0, 'the scene regions prefer scenes');
      // per run: the time series columns are the BOLD's means over each mask (no cleaning asked)
      const ts = await readTsv(join(dir, 'out', 'roi', `sub-${s}_ses-02_run-1_timeseries.tsv`));
      assert.deepEqual(ts.columns, [responsive.name, overlap.name, nullMask.name]);
      const bold = await readNifti(BOLD(s, '02'));
      const nvox = bold.dims[0] * bold.dims[1] * bold.dims[2];
      const mask = await readNifti(join(data, overlap.file.split('{subject}').join(s)));
      for (const t0 of [0, 17]) {
        const vol = bold.data.subarray(t0 * nvox, (t0 + 1) * nvox);
        const ones = new Float32Array(nvox).fill(1);
        const expected = meanOver(vol, mask.data, ones).mean;
        assert.ok(Math.abs(ts.numeric(overlap.name)[t0] - expected) < 1e-3, `volume ${t0}: ${ts.numeric(overlap.name)[t0]} vs ${expected}`);
      }
    }
    // touching a mask file without changing its bytes recomputes nothing
    const touched = join(data, responsive.file.split('{subject}').join('01'));
    const later = new Date(Date.now() + 5000);
    utimesSync(touched, later, later);
    const again = await glmflow(['run', file, '--ui', 'json', '--cache', join(dir, 'cache'), '--jobs', '2']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.events.filter((e) => e.event === 'node-done').length, 0, 'nothing recomputed');
    assert.ok(again.events.some((e) => e.event === 'node-cached' && e.node === 'roi/sub-01/faceVsScene'));
  });

  it('single_trial with roi.masks alone: each run gets the ROI-mean beta series of its subject\'s masks', async () => {
    const dir = join(tmp, 'betaseries');
    const masks = gt.roi_masks.slice(0, 2);
    const file = spec(dir, `  masks:\n${masks.map((m) => `    ${m.name}: ${join(data, m.file)}`).join('\n')}`, 'single_trial:\n  method: lss\n');
    const r = await glmflow(['run', file, '--ui', 'json', '--cache', join(dir, 'cache'), '--jobs', '2']);
    assert.equal(r.code, 0, r.stderr);
    for (const s of SUBJECTS) {
      const prefix = `sub-${s}_ses-02_run-1_desc-lss`;
      const t = await readTsv(join(dir, 'out', 'roi', `${prefix}_betaseries.tsv`));
      assert.deepEqual(t.columns, ['trial_name', ...masks.map((m) => m.name)]);
      const effect = await readNifti(join(dir, 'out', 'first_level', `sub-${s}`, `${prefix}_stat-effect_betaseries.nii.gz`));
      const analysis = await readNifti(join(dir, 'out', 'first_level', `sub-${s}`, `sub-${s}_mask.nii.gz`));
      const nvox = effect.dims[0] * effect.dims[1] * effect.dims[2];
      assert.equal(t.raw('trial_name').length, effect.dims[3]);
      assert.ok(effect.dims[3] >= 2, `${effect.dims[3]} trials`);
      for (const m of masks) {
        const mask = await readNifti(join(data, m.file.split('{subject}').join(s)));
        for (let k = 0; k < effect.dims[3]; k++) {
          const expected = meanOver(effect.data.subarray(k * nvox, (k + 1) * nvox), mask.data, analysis.data).mean;
          const got = t.numeric(m.name)[k];
          assert.ok(Math.abs(got - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `sub-${s} ${m.name} trial ${k}: ${got} vs ${expected}`);
        }
      }
    }
  });

  it('a missing mask file (exit 2) names the ROI, the subject and the path; a non-binary mask is refused; nothing is computed', async () => {
    const dir = join(tmp, 'missing');
    mkdirSync(join(dir, 'masks'), { recursive: true });
    cpSync(join(data, gt.roi_masks[0].file.split('{subject}').join('01')), join(dir, 'masks', 'sub-01_FFA.nii.gz'));
    // three values (0, 1, 2): not a mask
    const img = await readNifti(join(data, gt.roi_masks[0].file.split('{subject}').join('01')));
    const labels = Float32Array.from(img.data);
    labels[labels.findIndex((v) => v === 1)] = 2;
    await writeNifti(join(dir, 'labels.nii.gz'), { dims: img.dims.slice(0, 3), affine: img.affine, data: labels });
    const file = spec(dir, '  masks:\n    FFA: masks/sub-{subject}_FFA.nii.gz\n    graded: labels.nii.gz');
    const r = await glmflow(['run', file, '--cache', join(dir, 'cache')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ROI 'FFA', sub-02: mask file not found: .*masks\/sub-02_FFA\.nii\.gz/);
    assert.doesNotMatch(r.stderr, /sub-01: mask file not found/);
    assert.match(r.stderr, /graded.*is not binary.*\(1, 2\)/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    assert.ok(!existsSync(join(dir, 'out')), 'nothing computed');
  });

  it('a mask on an 8 mm grid is refused naming both grids; with roi.resample: nearest it is resampled (warning) and summarised', async () => {
    const dir = join(tmp, 'grid');
    mkdirSync(dir, { recursive: true });
    // BOLD grid: 20x24x18 voxels of 4 mm from (-38, -46, -34). Mask grid: 11x13x10 voxels of 8 mm
    // from (-40, -48, -36): BOLD voxel i sits at mask coordinate (4i + 2) / 8 = i/2 + 1/4, whose
    // nearest mask voxel is 0 for i = 0, then 1 for i = 1, 2, 2 for i = 3, 4, ... so mask voxels
    // 5..6 x 3..4 x 2..3 cover the BOLD box 9..12 x 5..8 x 3..6 (4 x 4 x 4 = 64 voxels).
    const [mx, my, mz] = [11, 13, 10];
    const coarse = new Float32Array(mx * my * mz);
    for (let k = 2; k <= 3; k++) for (let j = 3; j <= 4; j++) for (let i = 5; i <= 6; i++) coarse[i + mx * (j + my * k)] = 1;
    await writeNifti(join(dir, 'coarse.nii.gz'), { dims: [mx, my, mz], affine: [[8, 0, 0, -40], [0, 8, 0, -48], [0, 0, 8, -36], [0, 0, 0, 1]], data: coarse });
    const refused = await glmflow(['run', spec(dir, `  masks:\n    box: coarse.nii.gz`), '--cache', join(dir, 'cache')]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /ROI mask 'box'.*coarse\.nii\.gz is not on the grid of/);
    assert.match(refused.stderr, /11x13x10, affine \[\[8, 0, 0, -40\], \[0, 8, 0, -48\], \[0, 0, 8, -36\]\]/);
    assert.match(refused.stderr, /20x24x18, affine \[\[4, 0, 0, -38\], \[0, 4, 0, -46\], \[0, 0, 4, -34\]\]/);
    assert.match(refused.stderr, /roi\.resample: nearest/);
    assert.ok(!existsSync(join(dir, 'out')));

    const r = await glmflow(['run', spec(dir, `  masks:\n    box: coarse.nii.gz\n  resample: nearest`), '--cache', join(dir, 'cache'), '--ui', 'plain']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: ROI mask 'box' \(sub-01\) .*coarse\.nii\.gz resampled by nearest neighbour .*from 11x13x10.* to the BOLD grid 20x24x18/);
    const [nx, ny] = [20, 24];
    for (const s of SUBJECTS) {
      const t = await readTsv(join(dir, 'out', 'roi', `sub-${s}_contrast-faceVsScene_roi.tsv`));
      assert.deepEqual(Array.from(t.numeric('n_voxels')), [64]);
      const effect = await readNifti(join(dir, 'out', 'first_level', `sub-${s}`, `sub-${s}_contrast-faceVsScene_stat-effect.nii.gz`));
      const analysis = await readNifti(join(dir, 'out', 'first_level', `sub-${s}`, `sub-${s}_mask.nii.gz`));
      const box = new Float32Array(effect.data.length);
      for (let k = 3; k <= 6; k++) for (let j = 5; j <= 8; j++) for (let i = 9; i <= 12; i++) box[i + nx * (j + ny * k)] = 1;
      const expected = meanOver(effect.data, box, analysis.data);
      assert.ok(expected.n > 0);
      assert.ok(Math.abs(t.numeric('map_mean')[0] - expected.mean) <= 1e-5 * Math.max(1, Math.abs(expected.mean)), `${t.numeric('map_mean')[0]} vs ${expected.mean}`);
    }
  });
});
