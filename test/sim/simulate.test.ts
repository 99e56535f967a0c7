/**
 * `glmflow simulate`: byte-identical output for a seed (in-process vs a separate process),
 * the BIDS / fMRIPrep layout and contents, and a first-level run of the pipeline that finds the
 * known face and scene effects at the ground-truth region centres.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readNifti } from '../../src/io/nifti.js';
import { readTsv } from '../../src/io/tsv.js';
import { loadConfounds } from '../../src/stats/confounds/confounds.js';
import { pinv } from '../../src/stats/core/matrix.js';
import { matmul } from '../helpers/linalg.js';
import { simulateDataset, type SimulationResult } from '../../src/sim/dataset.js';
import { glmflow } from '../helpers/cli.js';

const OPTS = { subjects: 2, runs: 1, seed: 0 } as const;
const DERIV = join('derivatives', 'fmriprep');
const BOLD = (s: string, r: string) => join(DERIV, `sub-${s}`, 'func', `sub-${s}_task-faces_run-${r}_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz`);
const MASK = (s: string, r: string) => join(DERIV, `sub-${s}`, 'func', `sub-${s}_task-faces_run-${r}_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz`);
const CONF = (s: string, r: string, ext: string) => join(DERIV, `sub-${s}`, 'func', `sub-${s}_task-faces_run-${r}_desc-confounds_timeseries.${ext}`);

let tmp: string;
let dirA: string;
let sim: SimulationResult;

function hashTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(root, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(root);
  return out;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'glmflow-sim-'));
  dirA = join(tmp, 'a');
  sim = await simulateDataset(dirA, OPTS);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('simulate: determinism', () => {
  it('the same options give byte-identical files in another process (through simulateCommand); another seed differs', async () => {
    const moduleUrl = new URL('../../src/cli/simulate-command.js', import.meta.url).href;
    const run = (dir: string, seed: number) => {
      const code = `const { simulateCommand } = await import(${JSON.stringify(moduleUrl)});
        process.exitCode = await simulateCommand([${JSON.stringify(dir)}, '--subjects', '2', '--runs', '1', '--seed', '${seed}']);`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /wrote \d+ files/);
    };
    run(join(tmp, 'b'), 0);
    const a = hashTree(dirA);
    const b = hashTree(join(tmp, 'b'));
    assert.deepEqual([...b.keys()], [...a.keys()]);
    for (const [f, h] of a) assert.equal(b.get(f), h, `${f} differs between two runs with seed 0`);
    assert.equal(a.size, sim.files.length);
    // 10 top-level / atlas / ground-truth files + 6 per run
    assert.equal(a.size, 10 + 6 * OPTS.subjects * OPTS.runs);

    run(join(tmp, 'c'), 1);
    const c = hashTree(join(tmp, 'c'));
    assert.notEqual(c.get(BOLD('01', '1')), a.get(BOLD('01', '1')), 'seed 1 must give other data');
    assert.notEqual(c.get('participants.tsv'), a.get('participants.tsv'));
    rmSync(join(tmp, 'b'), { recursive: true, force: true });
    rmSync(join(tmp, 'c'), { recursive: true, force: true });
  });
});

describe('simulate: layout and contents', () => {
  it('top-level BIDS files, participants with numeric varied ages and M/F sexes', async () => {
    for (const f of ['dataset_description.json', 'participants.tsv', 'task-faces_bold.json', join(DERIV, 'dataset_description.json'), 'ground_truth.json', 'atlas/labels.nii.gz', 'atlas/labels.tsv']) {
      assert.ok(existsSync(join(dirA, f)), `missing ${f}`);
    }
    const desc = JSON.parse(readFileSync(join(dirA, 'dataset_description.json'), 'utf8'));
    assert.equal(desc.DatasetType, 'raw');
    assert.equal(JSON.parse(readFileSync(join(dirA, DERIV, 'dataset_description.json'), 'utf8')).DatasetType, 'derivative');
    assert.equal(JSON.parse(readFileSync(join(dirA, 'task-faces_bold.json'), 'utf8')).RepetitionTime, 2);
    const p = await readTsv(join(dirA, 'participants.tsv'));
    assert.deepEqual(p.columns, ['participant_id', 'age', 'sex']);
    assert.deepEqual(p.raw('participant_id'), ['sub-01', 'sub-02']);
    const ages = Array.from(p.numeric('age'));
    assert.ok(ages.every((a) => a >= 20 && a <= 65), `ages ${ages}`);
    assert.notEqual(ages[0], ages[1]);
    // stratified: one subject per half of 20..65
    assert.ok(Math.min(...ages) <= 43 && Math.max(...ages) >= 42, `ages ${ages}`);
    assert.deepEqual([...p.raw('sex')].sort(), ['F', 'M']);
  });

  it('events: face / scene / object blocks, onsets differ between subjects', async () => {
    const ev = await Promise.all(['01', '02'].map((s) => readTsv(join(dirA, `sub-${s}`, 'func', `sub-${s}_task-faces_run-1_events.tsv`))));
    for (const e of ev) {
      assert.deepEqual(e.columns, ['onset', 'duration', 'trial_type']);
      assert.deepEqual([...new Set(e.raw('trial_type'))].sort(), ['face', 'object', 'scene']);
      assert.equal(e.nRows, 9);
      const on = e.numeric('onset');
      const du = e.numeric('duration');
      for (let i = 1; i < on.length; i++) assert.ok(on[i] >= on[i - 1] + du[i - 1] + 6 - 1e-9, 'blocks separated by >= 6 s');
      assert.ok(on[on.length - 1] + du[du.length - 1] <= 220 - 16 + 1e-9);
    }
    assert.notDeepEqual(Array.from(ev[0].numeric('onset')), Array.from(ev[1].numeric('onset')));
  });

  it('BOLD and mask: float32 on the grid of the ground truth, TR 2 s, ~1000 baseline in an ellipsoid brain', async () => {
    const gt = JSON.parse(readFileSync(join(dirA, 'ground_truth.json'), 'utf8'));
    const bold = await readNifti(join(dirA, BOLD('01', '1')));
    const mask = await readNifti(join(dirA, MASK('01', '1')));
    assert.deepEqual(bold.dims, [20, 24, 18, 110]);
    assert.equal(bold.datatype, 'float32');
    assert.equal(bold.pixdim[3], 2);
    assert.deepEqual(bold.affine, gt.grid.affine);
    assert.deepEqual(bold.affine, [[4, 0, 0, -38], [0, 4, 0, -46], [0, 0, 4, -34], [0, 0, 0, 1]]);
    assert.deepEqual(mask.dims.slice(0, 3), [20, 24, 18]);
    assert.deepEqual(mask.affine, bold.affine);
    const nv = 20 * 24 * 18;
    let inside = 0;
    let sumIn = 0;
    let sumOut = 0;
    for (let v = 0; v < nv; v++) {
      // the ellipsoid of the ground truth, evaluated at the voxel centre
      const [i, j, k] = [v % 20, Math.floor(v / 20) % 24, Math.floor(v / 480)];
      const mm = [4 * i - 38, 4 * j - 46, 4 * k - 34];
      const rho = Math.hypot(...mm.map((x, r) => (x - gt.brain.centre_mm[r]) / gt.brain.radii_mm[r]));
      assert.equal(mask.data[v], rho <= 1 ? 1 : 0, `mask at ${i},${j},${k}`);
      if (mask.data[v]) {
        inside++;
        sumIn += bold.data[v + nv * 5];
      } else sumOut += bold.data[v + nv * 5];
    }
    // 4/3 pi (34/4)(42/4)(30/4) = 2804 voxels of 4 mm
    assert.ok(Math.abs(inside - 2804) < 100, `brain voxels ${inside}`);
    const meanIn = sumIn / inside;
    assert.ok(meanIn > 900 && meanIn < 1100, `mean in brain ${meanIn}`);
    assert.ok(sumOut / (nv - inside) < 30, 'dark background');
  });

  it('confounds: fMRIPrep columns, n/a first rows, non-steady-state flag, CompCor metadata; nilearn strategies apply', async () => {
    const t = await readTsv(join(dirA, CONF('01', '1', 'tsv')));
    assert.equal(t.nRows, 110);
    const required = [
      'trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z', 'global_signal', 'csf', 'white_matter',
      'framewise_displacement', 'std_dvars', 'dvars', 'cosine00', 'non_steady_state_outlier00',
      ...[0, 1, 2, 3, 4].map((k) => `a_comp_cor_0${k}`),
    ];
    for (const c of required) assert.ok(t.has(c), `missing column ${c}`);
    for (const c of ['trans_x', 'rot_z', 'csf', 'white_matter', 'global_signal']) {
      assert.ok(t.has(`${c}_derivative1`) && t.has(`${c}_power2`) && t.has(`${c}_derivative1_power2`), `expansions of ${c}`);
      const d = t.raw(`${c}_derivative1`);
      assert.equal(d[0], null, `${c}_derivative1 row 1 must be n/a`);
      const x = t.numeric(c);
      assert.ok(Math.abs(Number(d[5]) - (x[5] - x[4])) < 1e-9 * Math.max(1, Math.abs(x[5])));
    }
    for (const c of ['framewise_displacement', 'std_dvars', 'dvars']) {
      assert.equal(t.raw(c)[0], null, `${c} row 1 must be n/a`);
      assert.ok(t.raw(c).slice(1).every((v) => v !== null));
    }
    assert.deepEqual(Array.from(t.numeric('non_steady_state_outlier00')), [1, ...new Array(109).fill(0)]);
    // trans_x is relative to the first volume; FD is Power's formula
    const tx = t.numeric('trans_x');
    assert.equal(tx[0], 0);
    const fd = t.numeric('framewise_displacement');
    const mot = ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z'].map((c) => t.numeric(c));
    const fd10 = mot.reduce((s, m, a) => s + Math.abs(m[10] - m[9]) * (a >= 3 ? 50 : 1), 0);
    assert.ok(Math.abs(fd[10] - fd10) < 1e-12);
    const meta = JSON.parse(readFileSync(join(dirA, CONF('01', '1', 'json')), 'utf8'));
    for (let k = 0; k < 5; k++) {
      assert.equal(meta[`a_comp_cor_0${k}`].Method, 'aCompCor');
      assert.equal(meta[`a_comp_cor_0${k}`].Mask, 'combined');
    }
    // CompCor components are unit vectors over the steady-state volumes, 0 at the dummy volume
    const a0 = t.numeric('a_comp_cor_00');
    assert.equal(a0[0], 0);
    assert.ok(Math.abs(a0.reduce((s, v) => s + v * v, 0) - 1) < 1e-9);

    // nilearn load_confounds strategies work on the file
    const basic = loadConfounds(t, meta, { strategy: ['motion', 'wm_csf'], motion: 'basic' });
    assert.deepEqual(basic.names, ['csf', 'rot_x', 'rot_y', 'rot_z', 'trans_x', 'trans_y', 'trans_z', 'white_matter']);
    assert.deepEqual(basic.sampleMask && Array.from(basic.sampleMask).slice(0, 2), [1, 2]);
    const full = loadConfounds(t, meta, { strategy: ['motion', 'high_pass', 'wm_csf', 'global_signal', 'compcor'], motion: 'full', wm_csf: 'full', global_signal: 'full', compcor: 'anat_combined', n_compcor: 5 });
    assert.equal(full.names.length, 24 + 8 + 4 + 5 + 2);
    const sep = loadConfounds(t, meta, { strategy: ['high_pass', 'compcor'], compcor: 'anat_separated', n_compcor: 2 });
    // anat_separated takes the CSF (c_) and WM (w_) components, not the combined ones
    assert.deepEqual(sep.names.filter((n) => n.includes('comp_cor')), ['c_comp_cor_00', 'c_comp_cor_01', 'w_comp_cor_00', 'w_comp_cor_01']);
    const maxFd = Math.max(...Array.from(fd).slice(1));
    const jerk = sim.runs['01'][0].jerkVolume;
    assert.equal(fd[jerk], maxFd, 'the largest FD is at the head jerk');
    const scrub = loadConfounds(t, meta, { strategy: ['motion', 'scrub'], fd_threshold: 0.99 * maxFd, std_dvars_threshold: 100, scrub: 0 });
    assert.ok(scrub.sampleMask && !Array.from(scrub.sampleMask).includes(jerk) && scrub.sampleMask.length === 108, 'volume 0 and the jerk volume are censored');
  });

  it('motion-related signal: at the brain edge the BOLD follows -dB/dx * trans_x', async (ctx) => {
    const bold = await readNifti(join(dirA, BOLD('01', '1')));
    const t = await readTsv(join(dirA, CONF('01', '1', 'tsv')));
    const [tx, csf, wm] = ['trans_x', 'csf', 'white_matter'].map((c) => t.numeric(c));
    const nv = 20 * 24 * 18;
    const ph = sim.phantom;
    // least squares on [1, trans_x, csf, white_matter, ramp, 4 cosines] over the steady-state volumes
    const rows = 109;
    const cols = 9;
    const X = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const k = r + 1;
      const reg = [1, tx[k], csf[k], wm[k], k / 110, ...[1, 2, 3, 4].map((q) => Math.cos((Math.PI * q * (k + 0.5)) / 110))];
      reg.forEach((val, c) => (X[r * cols + c] = val));
    }
    const P = pinv({ rows, cols, data: X });
    // the right edge of the brain: brain voxels with background on their right
    const ratios: number[] = [];
    for (let v = 0; v < nv; v++) {
      if (!(ph.mask[v] === 1 && v % 20 < 19 && ph.mask[v + 1] === 0 && v % 20 > 0)) continue;
      const gradX = (ph.baseline[v + 1] - ph.baseline[v - 1]) / 8;
      const y = Float64Array.from({ length: rows }, (_, r) => bold.data[v + nv * (r + 1)]);
      const beta = matmul(P, { rows, cols: 1, data: y }).data;
      ratios.push(beta[1] / -gradX);
    }
    assert.ok(ratios.length > 50);
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    ctx.diagnostic(`${ratios.length} right-edge voxels: trans_x coefficient / (-dB/dx) = ${mean.toFixed(3)} on average`);
    assert.ok(Math.abs(mean - 1) < 0.1, `mean ratio ${mean}`);
  });

  it('atlas and ground truth: labels 1..4 on the BOLD grid, region voxels as listed, effects per subject', async () => {
    const gt = JSON.parse(readFileSync(join(dirA, 'ground_truth.json'), 'utf8'));
    const atlas = await readNifti(join(dirA, 'atlas', 'labels.nii.gz'));
    const labels = await readTsv(join(dirA, 'atlas', 'labels.tsv'));
    assert.deepEqual(labels.columns, ['index', 'name']);
    assert.deepEqual(labels.raw('name'), ['face_region', 'scene_left', 'scene_right', 'control']);
    assert.deepEqual(atlas.dims.slice(0, 3), [20, 24, 18]);
    assert.deepEqual(atlas.affine, gt.grid.affine);
    const counts = [0, 0, 0, 0, 0];
    for (const l of atlas.data) counts[l]++;
    for (const r of gt.regions) {
      assert.equal(counts[r.label], r.voxels.length);
      assert.equal(r.voxels.length, 33, `${r.name}: a sphere of radius 8 mm on a 4 mm grid`);
      for (const [i, j, k] of r.voxels) assert.equal(atlas.data[i + 20 * (j + 24 * k)], r.label);
      const [i, j, k] = r.centre_voxel;
      assert.deepEqual(r.centre_mm, [4 * i - 38, 4 * j - 46, 4 * k - 34]);
    }
    // the face region is on the right (x > 0), the scene regions mirror each other
    const byName = Object.fromEntries(gt.regions.map((r: { name: string }) => [r.name, r]));
    assert.ok(byName.face_region.centre_mm[0] > 0);
    assert.deepEqual(byName.scene_left.centre_mm, [-byName.scene_right.centre_mm[0], ...byName.scene_right.centre_mm.slice(1)]);
    // per-subject truth follows the documented model
    for (const s of gt.subjects) {
      const f = s.contrasts.face_region.faceVsScene;
      assert.ok(Math.abs(f - (0.5 + 0.03 * (s.age - 20))) < 0.4, `${s.participant_id} faceVsScene ${f} at age ${s.age}`);
      assert.ok(s.contrasts.scene_left.sceneVsFace > 0.5);
      assert.equal(s.contrasts.scene_left.sceneVsFace, s.contrasts.scene_right.sceneVsFace);
      assert.equal(s.contrasts.control.faceVsScene, 0);
    }
  });
});

describe('simulate: the first level finds the known effects', () => {
  it('faceVsScene z > 3.1 at the face-region centre, < -3.1 at both scene centres, |z| < 3.1 at the control centre', async (ctx) => {
    const gt = JSON.parse(readFileSync(join(dirA, 'ground_truth.json'), 'utf8'));
    // the subject with the larger true face effect (the older one), one run
    const subject = gt.subjects.reduce((a: any, b: any) => (b.contrasts.face_region.faceVsScene > a.contrasts.face_region.faceVsScene ? b : a));
    const label = subject.participant_id.slice(4);
    const spec = join(tmp, 'tiny.yaml');
    writeFileSync(spec, [
      'glmflow: 1',
      'name: sim-first-level',
      'data:',
      '  bids: a',
      '  derivatives: a/derivatives/fmriprep',
      '  task: faces',
      '  space: MNI152NLin2009cAsym',
      `  subjects: ["${label}"]`,
      'output: out',
      'first_level:',
      '  t_r: auto',
      '  hrf_model: spm',
      '  noise_model: ar1',
      '  smoothing_fwhm: 5',
      '  signal_scaling: 0',
      '  mask: derivatives',
      '  confounds: {strategy: [motion, wm_csf], motion: basic}',
      '  contrasts: {faceVsScene: face - scene}',
      '  outputs: [z_score, effect_size]',
      'report: false',
      '',
    ].join('\n'));
    const r = await glmflow(['run', spec, '--cache', join(tmp, 'cache'), '--ui', 'json', '--jobs', '2']);
    assert.equal(r.code, 0, r.stderr);
    const dir = join(tmp, 'out', 'first_level', `sub-${label}`);
    const z = (await readNifti(join(dir, `sub-${label}_contrast-faceVsScene_stat-z.nii.gz`))).data;
    const eff = (await readNifti(join(dir, `sub-${label}_contrast-faceVsScene_stat-effect.nii.gz`))).data;
    const at = (name: string) => {
      const [i, j, k] = gt.regions.find((x: { name: string }) => x.name === name).centre_voxel;
      return i + 20 * (j + 24 * k);
    };
    const truth = subject.contrasts.face_region.faceVsScene;
    const zf = z[at('face_region')];
    ctx.diagnostic(
      `sub-${label}: face z ${zf.toFixed(2)} effect ${eff[at('face_region')].toFixed(3)} (true ${truth.toFixed(3)}); ` +
        `scene z ${z[at('scene_left')].toFixed(2)} / ${z[at('scene_right')].toFixed(2)}; control z ${z[at('control')].toFixed(2)}`,
    );
    assert.ok(zf > 3.1, `face-region centre z ${zf}`);
    // smoothing lowers the centre a little; the estimate stays within 35 % of the truth
    assert.ok(Math.abs(eff[at('face_region')] - truth) < 0.35 * truth, `effect ${eff[at('face_region')]} vs true ${truth}`);
    for (const side of ['scene_left', 'scene_right']) assert.ok(z[at(side)] < -3.1, `${side} centre z ${z[at(side)]}`);
    assert.ok(Math.abs(z[at('control')]) < 3.1, `control centre z ${z[at('control')]}`);
  });
});
