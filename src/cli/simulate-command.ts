/**
 * `glmflow simulate DIR [--subjects N] [--sessions N] [--runs N] [--layout default|laion] [--seed S] [--grid small|mni4] [--volumes N] [--trial-sd X] [--force]`
 * — writes a deterministic BIDS dataset with fMRIPrep-style derivatives and known effects
 * (see src/sim/dataset.ts). `args` are the words after `simulate`.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { describeOptions, prepareOutputDir, simulateDataset, SIMULATE_DEFAULTS, SIMULATE_LAYOUTS, type SimulateLayout, type SimulateOptions } from '../sim/dataset.js';
import { subjectLabels } from '../sim/subjects.js';
import type { GridName } from '../sim/phantom.js';

export const SIMULATE_USAGE = `Usage: glmflow simulate DIR [options]

Writes a small deterministic BIDS dataset (raw events, fMRIPrep-style derivatives, a label
atlas and ground_truth.json) with known face- and scene-selective regions.

Options:
  --subjects N        number of subjects (default ${SIMULATE_DEFAULTS.subjects})
  --sessions N        sessions per subject, ses-01..ses-N, each with --runs runs
                      (default: no session level; 1 with --layout laion)
  --runs N            runs per session, or per subject without sessions (default ${SIMULATE_DEFAULTS.runs})
  --layout L          default = single-echo fMRIPrep layout (desc-preproc, space-MNI152NLin2009cAsym);
                      laion = a LAION-fMRI-like multi-echo study: raw
                      sub-XX/ses-YY/func/..._echo-1..3_part-mag_bold.nii.gz (EchoTime in the
                      sidecars), derivatives ..._space-T1w_desc-optcom_bold.nii.gz with brain
                      masks and confounds, and per-subject ROI masks
                      derivatives/rois/sub-XX/sub-XX_space-T1w_roi-NAME_mask.nii.gz
                      (FFA, lPPA, rPPA, PPA, control, noeffect; ground_truth.json says which
                      respond) (default ${SIMULATE_DEFAULTS.layout})
  --seed S            random seed, a non-negative integer (default ${SIMULATE_DEFAULTS.seed})
  --grid small|mni4   small = 20x24x18 voxels of 4 mm; mni4 = 49x58x49 voxels of 4 mm (MNI) (default ${SIMULATE_DEFAULTS.grid})
  --volumes N         volumes per run (default ${SIMULATE_DEFAULTS.volumes}, TR ${SIMULATE_DEFAULTS.tr} s)
  --trial-sd X        trial-wise responses: each block's amplitude is its condition's times
                      max(0, 1 + X N(0,1)); ground_truth.json lists every trial (default 0: none)
  --force             write into a non-empty folder that is not an earlier simulation
`;

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim())) throw new UserError(`command line: ${name} expects a non-negative integer (got '${value}')`);
  return Number(value);
}

function nonNegative(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const x = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(x) || x < 0) throw new UserError(`command line: ${name} expects a non-negative number (got '${value}')`);
  return x;
}

/** Parse the options of `simulate` (everything after the word `simulate`). */
export function parseSimulateArgs(args: string[]): { dir: string; options: SimulateOptions; force: boolean; help: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        subjects: { type: 'string' },
        sessions: { type: 'string' },
        layout: { type: 'string' },
        runs: { type: 'string' },
        seed: { type: 'string' },
        grid: { type: 'string' },
        volumes: { type: 'string' },
        'trial-sd': { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UserError(`command line: ${(e as Error).message}\n\n${SIMULATE_USAGE}`);
  }
  const v = parsed.values;
  if (v.help) return { dir: '', options: { ...SIMULATE_DEFAULTS }, force: false, help: true };
  if (parsed.positionals.length !== 1) {
    throw new UserError(
      `command line: simulate needs exactly one output folder${parsed.positionals.length ? ` (got ${parsed.positionals.join(' ')})` : ''}\n\n${SIMULATE_USAGE}`,
    );
  }
  const grid = v.grid ?? SIMULATE_DEFAULTS.grid;
  if (grid !== 'small' && grid !== 'mni4') throw new UserError(`command line: --grid must be small or mni4 (got '${grid}')`);
  const layout = v.layout ?? SIMULATE_DEFAULTS.layout;
  if (!SIMULATE_LAYOUTS.includes(layout as SimulateLayout)) throw new UserError(`command line: --layout must be ${SIMULATE_LAYOUTS.join(' or ')} (got '${layout}')`);
  const options: SimulateOptions = {
    ...SIMULATE_DEFAULTS,
    subjects: integer(v.subjects, '--subjects', SIMULATE_DEFAULTS.subjects),
    sessions: integer(v.sessions, '--sessions', SIMULATE_DEFAULTS.sessions),
    runs: integer(v.runs, '--runs', SIMULATE_DEFAULTS.runs),
    layout: layout as SimulateLayout,
    seed: integer(v.seed, '--seed', SIMULATE_DEFAULTS.seed),
    volumes: integer(v.volumes, '--volumes', SIMULATE_DEFAULTS.volumes),
    grid: grid as GridName,
    trialSd: nonNegative(v['trial-sd'], '--trial-sd', SIMULATE_DEFAULTS.trialSd),
  };
  return { dir: parsed.positionals[0], options, force: Boolean(v.force), help: false };
}

/** `glmflow simulate DIR ...`; returns the exit code (user errors are thrown as UserError). */
export async function simulateCommand(args: string[]): Promise<number> {
  const { dir, options, force, help } = parseSimulateArgs(args);
  if (help) {
    process.stdout.write(SIMULATE_USAGE);
    return 0;
  }
  const root = resolve(dir);
  const t0 = performance.now();
  await prepareOutputDir(root, subjectLabels(options.subjects), force);
  const result = await simulateDataset(root, options);
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  process.stdout.write(
    `simulate: wrote ${result.files.length} files to ${root} in ${secs} s — ${describeOptions(result.options)}\n` +
      `  ground truth: ${resolve(root, 'ground_truth.json')}; regions: ${resolve(root, 'atlas', 'labels.nii.gz')}\n`,
  );
  return 0;
}
