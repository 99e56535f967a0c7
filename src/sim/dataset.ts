/**
 * `glmflow simulate`: writes a deterministic multi-subject BIDS dataset with fMRIPrep-style
 * derivatives, a label atlas and the ground truth of the effects.
 *
 *   DIR/dataset_description.json, README, .bidsignore, participants.tsv (+ .json),
 *   DIR/task-faces_bold.json                      RepetitionTime, TaskName
 *   DIR/sub-XX/func/sub-XX_task-faces_run-R_events.tsv
 *   DIR/derivatives/fmriprep/dataset_description.json
 *   DIR/derivatives/fmriprep/sub-XX/func/sub-XX_task-faces_run-R_
 *       space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz (+ .json)
 *       space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz
 *       desc-confounds_timeseries.tsv (+ .json)
 *   DIR/atlas/labels.nii.gz, labels.tsv           the regions of the ground truth (ROI analysis)
 *   DIR/ground_truth.json                         regions, model, per-subject effects
 *
 * With `sessions` > 0 every subject has sessions ses-01..ses-NN, each with the runs, in
 * sub-XX/ses-YY/func (file names gain _ses-YY). `layout: 'laion'` writes the names of a
 * multi-echo dense-sampling study instead (see laion.ts): raw echoes, desc-optcom derivatives
 * in space-T1w and per-subject ROI masks.
 *
 * Every random number comes from prng.ts streams named after the seed and the part of the
 * dataset, and nothing depends on the clock or the machine, so the same options give the same
 * bytes (gzip output included: Node's zlib writes no time stamp).
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { writeNifti } from '../io/nifti-write.js';
import { writeTsv } from '../io/tsv.js';
import { glmflowVersion } from '../version.js';
import { BACKGROUND, DRIFT_PCT, NOISE_AR, NOISE_PCT, NONSTEADY_GAIN, PHYSIO_PCT, synthesizeRun } from './bold.js';
import { computeConfounds } from './confounds.js';
import { BLOCK_DURATION, CONDITIONS, drawTrialGains, makeBlocks, type Block } from './paradigm.js';
import { gridFor, makePhantom, TISSUE_BASELINE, voxelIjk, type GridName, type Phantom } from './phantom.js';
import { Rng } from '../stats/core/prng.js';
import { AGE_RANGE, CONTROL_EFFECT, FACE_EFFECT, makeSubjects, SCENE_EFFECT, type Subject } from './subjects.js';
import { makeMotion } from './timeseries.js';
import { ECHO_TIMES, echoSeries, LAION_DESC, LAION_SPACE, ROI_MASKS, roiMaskFile, roiMaskVoxels, T2_STAR } from './laion.js';

export const TASK = 'faces';
export const SPACE = 'MNI152NLin2009cAsym';
export const DATASET_NAME = 'glmflow simulated face/scene localizer';

export type SimulateLayout = 'default' | 'laion';
export const SIMULATE_LAYOUTS: readonly SimulateLayout[] = ['default', 'laion'];

export interface SimulateOptions {
  subjects: number;
  /** Sessions per subject (ses-01..); 0 = no session level (the laion layout always has one). */
  sessions: number;
  /** Runs per session (per subject without sessions). */
  runs: number;
  /** File layout: fMRIPrep single-echo (default) or a LAION-fMRI-like multi-echo study. */
  layout: SimulateLayout;
  seed: number;
  grid: GridName;
  /** Volumes per run. */
  volumes: number;
  /** Repetition time in seconds. */
  tr: number;
  /** Trial-wise responses: each block's amplitudes are its condition's times max(0, 1 + trialSd·N(0,1)); 0 = none. */
  trialSd: number;
}

export const SIMULATE_DEFAULTS: Readonly<SimulateOptions> = Object.freeze({
  subjects: 8,
  sessions: 0,
  runs: 2,
  layout: 'default',
  seed: 0,
  grid: 'small',
  volumes: 110,
  tr: 2.0,
  trialSd: 0,
});

export interface RunTruth {
  /** Session label (ses- without the prefix), with sessions. */
  session?: string;
  run: string;
  blocks: Block[];
  /** Volume of the abrupt head movement (a step in the translations). */
  jerkVolume: number;
}

export interface SimulationResult {
  dir: string;
  options: SimulateOptions;
  phantom: Phantom;
  subjects: Subject[];
  runs: Record<string, RunTruth[]>;
  /** Every file written, relative to dir, sorted. */
  files: string[];
}

function validate(o: SimulateOptions): void {
  const problems: string[] = [];
  const int = (v: number, name: string, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) problems.push(`${name} must be an integer from ${lo} to ${hi} (got ${v})`);
  };
  int(o.subjects, '--subjects', 1, 999);
  int(o.sessions, '--sessions', 0, 99);
  int(o.runs, '--runs', 1, 99);
  if (!SIMULATE_LAYOUTS.includes(o.layout)) problems.push(`--layout must be ${SIMULATE_LAYOUTS.join(' or ')} (got ${o.layout})`);
  int(o.volumes, '--volumes', 40, 2000);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) problems.push(`--seed must be a non-negative integer (got ${o.seed})`);
  if (!['small', 'mni4'].includes(o.grid)) problems.push(`--grid must be small or mni4 (got ${o.grid})`);
  if (!(Number.isFinite(o.trialSd) && o.trialSd >= 0 && o.trialSd <= 10)) problems.push(`--trial-sd must be a number from 0 to 10 (got ${o.trialSd})`);
  if (!(o.tr > 0 && o.tr <= 10)) problems.push(`the repetition time must be in (0, 10] s (got ${o.tr})`);
  if (problems.length) throw new UserError(`simulate: ${problems.join('; ')}`, problems.length > 1 ? problems : []);
}

/**
 * Refuse to write into a non-empty folder that is not an earlier simulation (unless `force`);
 * in an earlier simulation, remove the subject folders the new one will not write, so the
 * dataset on disk is exactly the new one.
 */
export async function prepareOutputDir(dir: string, subjectLabels: string[], force: boolean): Promise<void> {
  let entries: string[];
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new UserError(`${dir}: exists and is not a folder`);
    entries = (await readdir(dir)).filter((e) => !e.startsWith('.'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') throw new UserError(`${dir}: cannot be created, a parent of it is a file`);
    throw e;
  }
  if (entries.length === 0) return;
  const ours = entries.includes('ground_truth.json') && entries.includes('dataset_description.json');
  if (!ours && !force) {
    throw new UserError(`${dir}: the folder is not empty and does not hold an earlier simulation; choose another folder or pass --force`);
  }
  const keep = new Set(subjectLabels.map((l) => `sub-${l}`));
  for (const root of [dir, join(dir, 'derivatives', 'fmriprep'), join(dir, 'derivatives', 'rois')]) {
    let names: string[] = [];
    try {
      names = await readdir(root);
    } catch {
      continue;
    }
    for (const name of names) if (name.startsWith('sub-') && !keep.has(name)) await rm(join(root, name), { recursive: true, force: true });
  }
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2) + '\n', 'utf8');

/** Run the simulation and write the dataset into `dir` (created if needed). */
export async function simulateDataset(dir: string, partial: Partial<SimulateOptions> = {}): Promise<SimulationResult> {
  const opts: SimulateOptions = { ...SIMULATE_DEFAULTS, ...partial };
  validate(opts);
  const laion = opts.layout === 'laion';
  // sessions ses-01..; none (one unnamed session) in the default layout without --sessions
  const sessionCount = laion ? Math.max(1, opts.sessions) : opts.sessions;
  const sessions: (string | undefined)[] = sessionCount > 0 ? Array.from({ length: sessionCount }, (_, i) => String(i + 1).padStart(2, '0')) : [undefined];
  const space = laion ? LAION_SPACE : SPACE;
  const desc = laion ? LAION_DESC : 'preproc';
  const phantom = makePhantom(opts.grid);
  const subjects = makeSubjects(opts.seed, opts.subjects);
  const files: string[] = [];
  const put = async (rel: string, data: Buffer) => {
    await writeFileAtomic(join(dir, rel), [data]);
    files.push(rel);
  };
  await mkdir(dir, { recursive: true });
  const version = glmflowVersion();

  // Top level
  await put('dataset_description.json', json({
    Name: DATASET_NAME,
    BIDSVersion: '1.9.0',
    DatasetType: 'raw',
    License: 'CC0',
    GeneratedBy: [{ Name: 'glmflow simulate', Version: version, Description: `seed ${opts.seed}, grid ${opts.grid}` }],
  }));
  await put('.bidsignore', Buffer.from('atlas/\nground_truth.json\n'));
  await put('README', Buffer.from(readmeText(opts)));
  await put(`task-${TASK}_bold.json`, json({ RepetitionTime: opts.tr, TaskName: TASK }));
  await writeTsv(join(dir, 'participants.tsv'), ['participant_id', 'age', 'sex'], subjects.map((s) => [`sub-${s.label}`, s.age, s.sex]));
  files.push('participants.tsv');
  await put('participants.json', json({
    age: { Description: 'age of the participant', Units: 'year' },
    sex: { Description: 'sex of the participant', Levels: { M: 'male', F: 'female' } },
  }));
  const deriv = join('derivatives', 'fmriprep');
  await put(join(deriv, 'dataset_description.json'), json({
    Name: `${DATASET_NAME}: fMRIPrep-style derivatives`,
    BIDSVersion: '1.9.0',
    DatasetType: 'derivative',
    GeneratedBy: [{ Name: 'glmflow simulate', Version: version, Description: 'synthetic data in fMRIPrep output layout (not produced by fMRIPrep)' }],
  }));

  // Atlas
  const atlas = new Float32Array(phantom.nVoxels);
  for (let v = 0; v < phantom.nVoxels; v++) atlas[v] = phantom.labels[v];
  await writeNifti(join(dir, 'atlas', 'labels.nii.gz'), { dims: [...phantom.grid.dims], affine: phantom.grid.affine, data: atlas, description: 'glmflow simulate: regions' });
  files.push(join('atlas', 'labels.nii.gz'));
  await writeTsv(join(dir, 'atlas', 'labels.tsv'), ['index', 'name'], phantom.regions.map((r) => [r.label, r.name]));
  files.push(join('atlas', 'labels.tsv'));

  if (laion) {
    await put(join('derivatives', 'rois', 'dataset_description.json'), json({
      Name: `${DATASET_NAME}: ROI masks`,
      BIDSVersion: '1.9.0',
      DatasetType: 'derivative',
      GeneratedBy: [{ Name: 'glmflow simulate', Version: version, Description: 'binary masks of the simulated regions, per subject (space-T1w)' }],
    }));
    const voxels = roiMaskVoxels(phantom);
    for (const s of subjects) {
      for (const [i, d] of ROI_MASKS.entries()) {
        const m = new Float32Array(phantom.nVoxels);
        for (const v of voxels[i]) m[v] = 1;
        const rel = roiMaskFile(s.label, d.name);
        await writeNifti(join(dir, rel), { dims: [...phantom.grid.dims], affine: phantom.grid.affine, data: m, description: `glmflow simulate: ROI ${d.name}` });
        files.push(rel);
      }
    }
  }

  const maskData = Float32Array.from(phantom.mask);
  const runs: Record<string, RunTruth[]> = {};
  let pending: Promise<unknown>[] = [];
  for (const s of subjects) {
    runs[s.label] = [];
    for (const ses of sessions) for (let r = 1; r <= opts.runs; r++) {
      const run = String(r);
      // without sessions the stream names are those of the single-session layout (same bytes as before sessions existed)
      const where = `sub-${s.label}${ses ? `/ses-${ses}` : ''}/run-${run}`;
      const stream = (part: string) => new Rng(opts.seed, `${where}/${part}`);
      const blocks = makeBlocks(stream('events'), opts.volumes * opts.tr);
      if (opts.trialSd > 0) drawTrialGains(stream('trials'), blocks, opts.trialSd);
      const motion = makeMotion(stream('motion'), opts.volumes, s.motionLevel);
      const bold = synthesizeRun(
        { phantom, nScans: opts.volumes, tr: opts.tr, blocks, amplitudes: s.amplitudes, motion: motion.params },
        { physio: stream('physio'), drift: stream('drift'), noise: stream('noise') },
      );
      const conf = computeConfounds(bold, phantom, opts.volumes, opts.tr, motion.params);
      const base = `sub-${s.label}${ses ? `_ses-${ses}` : ''}_task-${TASK}_run-${run}`;
      const subDir = join(`sub-${s.label}`, ...(ses ? [`ses-${ses}`] : []));
      const rawFunc = join(subDir, 'func');
      const derivFunc = join(deriv, subDir, 'func');
      const boldName = `${base}_space-${space}_desc-${desc}_bold`;
      const maskName = `${base}_space-${space}_desc-brain_mask.nii.gz`;
      const rows: (number | null)[][] = [];
      for (let t = 0; t < opts.volumes; t++) rows.push(conf.values.map((v) => v[t]));
      // The files of one run are written while the next run is computed (at most one run in flight).
      await Promise.all(pending);
      pending = [
        writeTsv(join(dir, rawFunc, `${base}_events.tsv`), ['onset', 'duration', 'trial_type'], blocks.map((b) => [b.onset, b.duration, b.trialType])),
        writeNifti(join(dir, derivFunc, `${boldName}.nii.gz`), {
          dims: [...phantom.grid.dims, opts.volumes],
          affine: phantom.grid.affine,
          data: bold,
          pixdim: [0, 0, 0, opts.tr],
          description: 'glmflow simulate: preprocessed BOLD',
        }),
        put(join(derivFunc, `${boldName}.json`), json({ RepetitionTime: opts.tr, TaskName: TASK, SkullStripped: false })),
        writeNifti(join(dir, derivFunc, maskName), { dims: [...phantom.grid.dims], affine: phantom.grid.affine, data: maskData, description: 'glmflow simulate: brain mask' }),
        writeTsv(join(dir, derivFunc, `${base}_desc-confounds_timeseries.tsv`), conf.columns, rows),
        put(join(derivFunc, `${base}_desc-confounds_timeseries.json`), json(conf.sidecar)),
      ];
      if (laion) {
        // the raw multi-echo series (magnitude), with EchoTime in their sidecars
        for (const [e, te] of ECHO_TIMES.entries()) {
          const echoName = `${base}_echo-${e + 1}_part-mag_bold`;
          pending.push(
            writeNifti(join(dir, rawFunc, `${echoName}.nii.gz`), {
              dims: [...phantom.grid.dims, opts.volumes], affine: phantom.grid.affine, data: echoSeries(bold, te), pixdim: [0, 0, 0, opts.tr],
              description: `glmflow simulate: echo ${e + 1} (magnitude)`,
            }),
            put(join(rawFunc, `${echoName}.json`), json({ EchoTime: te, RepetitionTime: opts.tr, TaskName: TASK })),
          );
          files.push(join(rawFunc, `${echoName}.nii.gz`));
        }
      }
      for (const w of pending) w.catch(() => undefined); // failures surface at the next Promise.all
      files.push(
        join(rawFunc, `${base}_events.tsv`),
        join(derivFunc, `${boldName}.nii.gz`),
        join(derivFunc, maskName),
        join(derivFunc, `${base}_desc-confounds_timeseries.tsv`),
      );
      runs[s.label].push({ ...(ses ? { session: ses } : {}), run, blocks, jerkVolume: motion.jerkVolume });
    }
  }

  await Promise.all(pending);
  const result: SimulationResult = { dir, options: opts, phantom, subjects, runs, files: [] };
  await put('ground_truth.json', json(groundTruth(result)));
  result.files = files.map((f) => f.split('\\').join('/')).sort();
  return result;
}

/** The content of ground_truth.json. */
export function groundTruth(r: Omit<SimulationResult, 'files'>): Record<string, unknown> {
  const { phantom: ph, options: o } = r;
  // sessions and layout appear only when they differ from the single-session default layout
  // (whose ground truth stays byte-identical to the one written before they existed)
  const { sessions, layout, ...generatorOptions } = o;
  const laion = layout === 'laion';
  const maskVoxels = laion ? roiMaskVoxels(ph) : [];
  return {
    description:
      'Ground truth of a dataset written by `glmflow simulate`. Amplitudes are percent signal change of the voxel baseline ' +
      'per unit of the condition regressor (a block convolved with the SPM HRF as in nilearn, plateau ~1), so a first-level ' +
      'model with hrf_model spm and signal_scaling 0 estimates them as effect_size (smoothing spreads them spatially).',
    generator: { name: 'glmflow simulate', version: glmflowVersion(), ...generatorOptions, ...(sessions > 0 ? { sessions } : {}), ...(laion ? { layout } : {}) },
    ...(laion ? {
      layout: {
        name: 'laion',
        raw_bold: `sub-XX/ses-YY/func/sub-XX_ses-YY_task-${TASK}_run-R_echo-E_part-mag_bold.nii.gz (echo e = optcom * exp(-(TE_e - T2*) / T2*))`,
        echo_times_s: [...ECHO_TIMES],
        t2star_s: T2_STAR,
        derivatives_bold: `derivatives/fmriprep/sub-XX/ses-YY/func/..._space-${LAION_SPACE}_desc-${LAION_DESC}_bold.nii.gz`,
        roi_masks: roiMaskFile('{subject}', 'NAME'),
      },
      roi_masks: ROI_MASKS.map((d, i) => ({
        name: d.name,
        file: roiMaskFile('{subject}', d.name),
        regions: d.regions ?? [],
        faceVsScene: d.faceVsScene,
        responsive: d.regions !== undefined,
        description: d.description,
        n_voxels: maskVoxels[i].length,
      })),
    } : {}),
    task: { name: TASK, conditions: [...CONDITIONS], block_duration_s: BLOCK_DURATION, repetition_time_s: o.tr, volumes_per_run: o.volumes },
    grid: { name: ph.grid.name, dims: ph.grid.dims, affine: ph.grid.affine, voxel_size_mm: ph.grid.voxelSize },
    brain: {
      shape: 'ellipsoid (the brain mask of every run)',
      centre_mm: ph.brain.centreMm,
      radii_mm: ph.brain.radiiMm,
      tissues: 'CSF: central ellipsoid (ventricles); white matter: normalised radius < 0.65; grey matter: the rest',
      baseline: { ...TISSUE_BASELINE, bias_field: '1 + 0.04 u_z - 0.02 u_y (u = normalised brain coordinates)' },
    },
    noise: {
      white_noise: `AR(1), rho ${NOISE_AR}, sd ${NOISE_PCT} % of the baseline`,
      physiological: `one AR(1) (rho 0.7, sd 1) series per run, weighted ${PHYSIO_PCT.gm} / ${PHYSIO_PCT.wm} / ${PHYSIO_PCT.csf} % in GM / WM / CSF`,
      drift: `linear ramp + half cosine per voxel, coefficients N(0, ${DRIFT_PCT.run}^2) per run + N(0, ${DRIFT_PCT.voxel}^2) per voxel, in %`,
      motion: 'realignment parameters (smooth wander + drift + one translation step at jerk_volume); signal -dB/dx * trans_x (the image shifting along x)',
      non_steady_state: `volume 0 is ${Math.round((NONSTEADY_GAIN - 1) * 100)} % brighter (non_steady_state_outlier00)`,
      background: `|${BACKGROUND.mean} + ${BACKGROUND.sd} N(0,1)| outside the brain`,
    },
    model: {
      face_region: {
        face: '0.4 + faceVsScene',
        scene: 0.4,
        object: 0.6,
        faceVsScene: `${FACE_EFFECT.intercept} + ${FACE_EFFECT.agePerYear} * (age - ${FACE_EFFECT.ageRef}) + N(0, ${FACE_EFFECT.sd}^2)`,
      },
      scene_left: { face: 0.3, scene: '0.3 + sceneVsFace', object: 0.6, sceneVsFace: `${SCENE_EFFECT.mean} + N(0, ${SCENE_EFFECT.sd}^2), same value on both sides` },
      scene_right: { same_as: 'scene_left' },
      control: { face: 'c', scene: 'c', object: 'c', c: `${CONTROL_EFFECT.mean} + N(0, ${CONTROL_EFFECT.sd}^2)` },
      elsewhere: 0,
      ages: `stratified over [${AGE_RANGE[0]}, ${AGE_RANGE[1]}] years`,
    },
    expected: {
      first_level: 'faceVsScene > 0 in face_region, < 0 in scene_left / scene_right, ~0 in control and elsewhere',
      group_faceVsScene_intercept:
        'positive in face_region (every subject has faceVsScene > 0 there), negative in the scene regions, when the age ' +
        `covariate is centred (center_covariates: true); uncentred, the intercept is the effect at age 0, ` +
        `${FACE_EFFECT.intercept} - ${FACE_EFFECT.agePerYear} * ${FACE_EFFECT.ageRef} = ${(FACE_EFFECT.intercept - FACE_EFFECT.agePerYear * FACE_EFFECT.ageRef).toFixed(2)} in face_region`,
      group_age_effect: `positive slope ${FACE_EFFECT.agePerYear} % per year in face_region for faceVsScene, 0 elsewhere`,
    },
    regions: ph.regions.map((reg) => ({
      label: reg.label,
      name: reg.name,
      description: reg.description,
      centre_mm: reg.centreMm,
      centre_voxel: reg.centreVoxel,
      radius_mm: reg.radiusMm,
      n_voxels: reg.voxels.length,
      voxels: reg.voxels.map((v) => voxelIjk(ph.grid.dims, v)),
    })),
    subjects: r.subjects.map((s) => {
      const contrasts: Record<string, Record<string, number>> = {};
      for (const [name, a] of Object.entries(s.amplitudes)) {
        contrasts[name] = { faceVsScene: a.face - a.scene, sceneVsFace: a.scene - a.face, faceVsBaseline: a.face, sceneVsBaseline: a.scene };
      }
      return {
        participant_id: `sub-${s.label}`,
        age: s.age,
        sex: s.sex,
        motion_level: s.motionLevel,
        amplitudes: s.amplitudes,
        contrasts,
        runs: (r.runs[s.label] ?? []).map((rt) => ({
          ...(rt.session ? { session: rt.session } : {}), run: rt.run, jerk_volume: rt.jerkVolume, n_blocks: rt.blocks.length,
          ...(o.trialSd > 0 ? { trials: trialTruth(rt.blocks, s.amplitudes) } : {}),
        })),
      };
    }),
  };
}

/**
 * The trials of a run with trial-wise responses, in events order: each trial's gain and its
 * amplitude per region (the condition's amplitude times the gain), named `<condition>__<k>`
 * as the single-trial outputs name them.
 */
function trialTruth(blocks: Block[], amplitudes: Record<string, Record<string, number>>): Record<string, unknown>[] {
  const seen = new Map<string, number>();
  return blocks.map((b) => {
    const k = seen.get(b.trialType) ?? 0;
    seen.set(b.trialType, k + 1);
    const amp: Record<string, number> = {};
    for (const [region, a] of Object.entries(amplitudes)) amp[region] = a[b.trialType] * (b.gain ?? 1);
    return { onset: b.onset, duration: b.duration, trial_type: b.trialType, trial_name: `${b.trialType}__${String(k).padStart(3, '0')}`, gain: b.gain ?? 1, amplitudes: amp };
  });
}

function readmeText(o: SimulateOptions): string {
  const g = gridFor(o.grid);
  return [
    `${DATASET_NAME}`,
    '',
    `Synthetic data written by \`glmflow simulate\` (seed ${o.seed}): ${o.subjects} subjects x ${o.runs} runs of a`,
    `face / scene / object block design, ${o.volumes} volumes of TR ${o.tr} s on a ${g.dims.join(' x ')} grid of ${g.voxelSize} mm.`,
    'The preprocessed BOLD, brain masks and confounds are in derivatives/fmriprep (fMRIPrep naming, not made by fMRIPrep).',
    'ground_truth.json lists the regions and every subject\'s true effects; atlas/ holds the regions as a label image.',
    ...(o.sessions > 0 || o.layout === 'laion' ? [`Every subject has ${Math.max(1, o.sessions)} session(s) (ses-01..) of ${o.runs} run(s).`] : []),
    ...(o.layout === 'laion'
      ? [
        `Layout laion: raw multi-echo magnitude series (echo-1..${ECHO_TIMES.length}, part-mag, EchoTime in the sidecars), optimally combined`,
        `derivatives (space-${LAION_SPACE}, desc-${LAION_DESC}) and per-subject ROI masks in derivatives/rois (roi-NAME, see ground_truth.json).`,
      ]
      : []),
    '',
  ].join('\n');
}

/** Options echo used by the CLI summary line. */
export function describeOptions(o: SimulateOptions): string {
  const g = gridFor(o.grid);
  const sessions = o.layout === 'laion' ? Math.max(1, o.sessions) : o.sessions;
  return `${o.subjects} subject(s) x ${sessions > 0 ? `${sessions} session(s) x ` : ''}${o.runs} run(s)${o.layout === 'laion' ? ', layout laion' : ''}, ${o.volumes} volumes of TR ${o.tr} s, grid ${o.grid} (${g.dims.join('x')}, ${g.voxelSize} mm), seed ${o.seed}`;
}
