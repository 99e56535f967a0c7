import type { DesignParams } from '../pipeline/first-level-design.js';
import { basename } from 'node:path';
import type { Json, PlannedNode } from '../engine/types.js';
import type { LoadedSpec } from './load.js';
import { problemAt } from './semantic.js';
import { globFiles } from './glob.js';
import { parseEntities, readParticipants, subjectLabel } from '../io/bids.js';
import { readNiftiHeader, sameGrid, type NiftiHeaderInfo } from '../io/nifti.js';
import { describeGrid } from '../pipeline/roi-images.js';
import { readTsv } from '../io/tsv.js';
import { contrastMatrixFor } from '../pipeline/contrast-definition.js';
import { normSf } from '../stats/core/distributions.js';
import { distinctPermutations } from '../stats/second-level/permutation.js';
import type { GroupParams } from '../../nodes/group.js';
import type { CorrectParams } from '../../nodes/correct.js';
import type { PermuteParams } from '../../nodes/permute.js';
import type { InferenceSpec } from './types.js';
import { groupModelProblems, type GroupDesignInput } from './model-checks.js';

/** Permutations per `permute` node: blocks spread over the worker pool (independent of --jobs, so keys are stable). */
export const PERMUTATIONS_PER_BLOCK = 2500;

/** What the first level contributes to the group stage, per subject. */
export interface SubjectOutputs {
  subject: string; // "01"
  contrastIds: Record<string, string>;
  maskId: string;
  /** BOLD files and design node ids per run (for ROI signals). */
  runs: { label: string; bold: string; designId: string; confoundsId?: string; loadId?: string; design?: DesignParams; conditions?: string[] }[];
  /** The subject's first BOLD (every run of a subject is on its grid): its path, to name it, and its header. */
  boldHeader?: string;
  boldGrid?: NiftiHeaderInfo;
}

export interface StageContext {
  loaded: LoadedSpec;
  outputDir: string;
  nodes: PlannedNode[];
  problems: string[];
  /** Non-fatal notices for the user. */
  warnings?: string[];
  subjects: SubjectOutputs[];
  /** Set by the ROI stage: each subject's roi.masks files (roi.masks order), checked. */
  roiMaskFiles?: Map<string, string[]>;
}

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Labels of methods in file names: fdr, bonferroni, ...; a repeated method gets a number (fdr2). */
export function methodLabels(inference: InferenceSpec[]): string[] {
  const seen = new Map<string, number>();
  return inference.map((inf) => {
    const n = (seen.get(inf.method) ?? 0) + 1;
    seen.set(inf.method, n);
    return n === 1 ? inf.method : `${inf.method}${n}`;
  });
}

/**
 * Covariate values per subject from participants.tsv: the design rows (intercept, then the
 * covariates, centred if asked) and each covariate's values as read. Every problem is
 * reported at the spec key.
 */
async function covariateRows(ctx: StageContext, subjects: string[], covariates: string[], center: boolean): Promise<{ rows: number[][]; raw: number[][] } | undefined> {
  const { loaded } = ctx;
  if (!covariates.length) return { rows: subjects.map(() => [1]), raw: [] };
  const bids = loaded.spec.data?.bids;
  const table = bids ? await readParticipants(bids) : undefined;
  if (!table) {
    ctx.problems.push(problemAt(loaded, ['group', 'covariates'], `covariates need ${bids ?? 'data.bids'}/participants.tsv, which does not exist`));
    return undefined;
  }
  const ids = table.raw('participant_id').map((v) => subjectLabel(v ?? ''));
  const rows: number[][] = subjects.map(() => [1]);
  const raw: number[][] = [];
  let ok = true;
  for (const [k, cov] of covariates.entries()) {
    if (!table.has(cov)) {
      ctx.problems.push(problemAt(loaded, ['group', 'covariates', k], `'${cov}' is not a column of ${table.file} (columns: ${table.columns.join(', ')})`, 'value'));
      ok = false;
      continue;
    }
    let values: Float64Array;
    try {
      values = table.numeric(cov);
    } catch (e) {
      ctx.problems.push(problemAt(loaded, ['group', 'covariates', k], (e as Error).message, 'value'));
      ok = false;
      continue;
    }
    const col: number[] = [];
    for (const s of subjects) {
      const i = ids.indexOf(s);
      if (i < 0) {
        ctx.problems.push(problemAt(loaded, ['group', 'covariates', k], `sub-${s} is not listed in ${table.file}`, 'value'));
        ok = false;
      } else if (!Number.isFinite(values[i])) {
        ctx.problems.push(problemAt(loaded, ['group', 'covariates', k], `sub-${s} has no value (n/a) for '${cov}' in ${table.file}`, 'value'));
        ok = false;
      }
      col.push(i < 0 ? NaN : values[i]);
    }
    const mean = col.reduce((a, b) => a + b, 0) / col.length;
    col.forEach((v, s) => rows[s].push(center ? v - mean : v));
    raw.push(col);
  }
  return ok ? { rows, raw } : undefined;
}

/**
 * The voxelwise group model adds the subjects' maps voxel by voxel: every subject's first-level
 * maps must be on one grid (same dimensions and affine). Subjects analysed in their own space
 * (space-T1w) generally are not. Returns the problem, or undefined.
 */
function subjectsOffGrid(subjects: SubjectOutputs[]): string | undefined {
  const withGrid = subjects.filter((s) => s.boldGrid);
  if (withGrid.length < 2) return undefined;
  const ref = withGrid[0].boldGrid!;
  const off = withGrid.slice(1).filter((s) => !sameGrid(s.boldGrid!, ref)).map((s) => `sub-${s.subject} (${describeGrid(s.boldGrid!)})`);
  if (!off.length) return undefined;
  return `the subjects' first-level maps are not on one grid: sub-${withGrid[0].subject} is on ${describeGrid(ref)}, but ${off.length > 3 ? `${off.slice(0, 3).join(', ')} and ${off.length - 3} more` : off.join(', ')}; a voxelwise group model needs every subject in one space (e.g. data.space: MNI152NLin2009cAsym), or ROI summaries per subject (roi)`;
}

/**
 * Group stage: per group contrast a `group` node (OLS over subjects), per test and
 * inference method a `correct` node (with `permute` blocks for permutation), and
 * `save` nodes for the maps, corrected maps, sidecars and cluster tables.
 */
export async function addGroupStage(ctx: StageContext): Promise<void> {
  const { loaded, nodes, problems } = ctx;
  const g = loaded.spec.group;
  if (!g) return;
  const columns = ['intercept', ...g.covariates];
  const dir = `${ctx.outputDir}/group_level`;
  const labels = methodLabels(g.inference);
  const primary = Math.max(0, g.inference.findIndex((i) => i.method === 'cluster'));
  // With an ROI atlas, cluster tables get the atlas label of each peak.
  const atlas = loaded.spec.roi?.atlas ? { file: loaded.spec.roi.atlas, names: (await atlasNames(ctx)) ?? {} } : undefined;
  for (const [ci, contrast] of g.contrasts.entries()) {
    // inputs: the pipeline's first-level maps, or files matched by a glob (group-only pipelines)
    let subjects: string[];
    let mapDeps: Record<string, string | string[]> = {};
    let mapFiles: string[] = [];
    const glob = g.inputs?.[contrast];
    if (glob) {
      mapFiles = globFiles(glob).sort();
      subjects = mapFiles.map((f) => parseEntities(basename(f)).sub ?? '');
      const unnamed = mapFiles.filter((_, i) => !subjects[i]);
      if (!mapFiles.length) problems.push(problemAt(loaded, ['group', 'inputs', contrast], `no file matches ${glob}`, 'value'));
      if (unnamed.length) problems.push(problemAt(loaded, ['group', 'inputs', contrast], `no sub- entity in ${unnamed.join(', ')}`, 'value'));
      if (new Set(subjects).size !== subjects.length) problems.push(problemAt(loaded, ['group', 'inputs', contrast], `several maps for one subject among ${mapFiles.join(', ')}`, 'value'));
      for (const f of mapFiles.slice(1)) {
        if (!sameGrid(await readNiftiHeader(f), await readNiftiHeader(mapFiles[0]))) {
          problems.push(problemAt(loaded, ['group', 'inputs', contrast], `${f} is not on the grid of ${mapFiles[0]}`, 'value'));
        }
      }
    } else {
      const withContrast = ctx.subjects.filter((s) => s.contrastIds[contrast]);
      subjects = withContrast.map((s) => s.subject);
      mapDeps = { maps: withContrast.map((s) => s.contrastIds[contrast]), masks: withContrast.map((s) => s.maskId) };
      const offGrid = subjectsOffGrid(withContrast);
      if (offGrid) {
        problems.push(problemAt(loaded, ['group', 'contrasts', ci], offGrid, 'value'));
        continue;
      }
    }
    if (subjects.length < 2) {
      problems.push(problemAt(loaded, ['group', 'contrasts', ci], `a group model of '${contrast}' needs at least 2 subjects (found ${subjects.length})`, 'value'));
      continue;
    }
    const covs = await covariateRows(ctx, subjects, g.covariates, g.center_covariates);
    if (!covs) continue;
    const design = covs.rows;
    if (subjects.length <= columns.length) {
      problems.push(problemAt(loaded, ['group', 'covariates'], `${subjects.length} subjects cannot fit ${columns.length} design columns (${columns.join(', ')})`));
      continue;
    }
    const testDefs = g.tests ?? { [contrast]: 'intercept' };
    const tests: GroupParams['tests'] = [];
    const checked: GroupDesignInput['tests'] = [];
    for (const [name, expr] of Object.entries(testDefs)) {
      const path = g.tests ? ['group', 'tests', name] : ['group', 'contrasts', ci];
      try {
        const weights = Array.from(contrastMatrixFor(expr, columns).rows[0]);
        const label = g.contrasts.length === 1 || name === contrast ? name : `${contrast}${upperFirst(name)}`;
        tests.push({ label, weights });
        checked.push({ label, weights, path, expression: expr });
      } catch (e) {
        problems.push(problemAt(loaded, path, (e as Error).message, 'value'));
      }
    }
    // every test estimable, no constant covariate (before anything is fitted)
    const modelProblems = groupModelProblems({ loaded, contrast, subjects, columns, design, rawCovariates: covs.raw, tests: checked });
    if (modelProblems.length) {
      problems.push(...modelProblems);
      continue;
    }
    if (g.mask !== 'auto') {
      const ref = glob ? mapFiles[0] : ctx.subjects[0]?.boldHeader;
      const refGrid = !ref ? undefined : glob ? await readNiftiHeader(ref) : ctx.subjects[0]?.boldGrid;
      if (ref && refGrid && !sameGrid(await readNiftiHeader(g.mask), refGrid)) {
        problems.push(problemAt(loaded, ['group', 'mask'], `${g.mask} is not on the grid of ${ref}`, 'value'));
      }
    }
    const groupId = `group/${contrast}`;
    const params: GroupParams = {
      contrast, input: g.input, subjects, columns, design, smoothing_fwhm: g.smoothing_fwhm ?? null,
      mask: g.mask === 'auto' ? 'auto' : 'path', tests,
    };
    nodes.push({
      id: groupId, type: 'group', params: params as unknown as Json, deps: mapDeps,
      files: { ...(glob ? { maps: mapFiles } : {}), ...(g.mask !== 'auto' ? { mask: g.mask } : {}) },
      stage: 'group', label: contrast,
    });
    nodes.push({
      id: `save/group/${contrast}`, type: 'save',
      params: { kind: 'group', dir, contrast, labels: tests.map((t) => t.label), outputs: ['z_score', 'stat', 'effect_size', 'effect_variance', 'p_value'] },
      deps: { group: groupId }, files: {}, stage: 'save', label: `group ${contrast}`,
    });
    for (const [ti, test] of tests.entries()) {
      for (const [mi, inf] of g.inference.entries()) {
        const label = labels[mi];
        const correctId = `correct/${test.label}/${label}`;
        const deps: Record<string, string | string[]> = { group: groupId };
        let tested: number | null = null;
        const clusterFormingP = inf.method === 'permutation' && inf.stat_threshold !== null ? normSf(inf.stat_threshold) : null;
        if (inf.method === 'permutation') {
          const nonZero = test.weights.map((w, j) => (w !== 0 ? j : -1)).filter((j) => j >= 0);
          if (nonZero.length !== 1 || test.weights[nonZero[0]] !== 1) {
            problems.push(problemAt(loaded, ['group', 'inference', mi], `permutation inference tests one design column; test '${test.label}' (${JSON.stringify(testDefs[Object.keys(testDefs)[ti]])}) is a combination`));
            continue;
          }
          tested = nonZero[0];
          const { scheme, count } = distinctPermutations(design, tested, inf.two_sided);
          const where = `group.inference[${mi}] (permutation) of '${test.label}'`;
          const floor = (1 / count).toPrecision(2);
          if (1 / count > inf.alpha) {
            // the best attainable p is ~1/count: the test can never reject at this alpha
            ctx.warnings?.push(`${where}: ${subjects.length} subjects allow only ${count} distinct ${scheme}${inf.two_sided && scheme === 'sign flips' ? ' (two-sided)' : ''}, so no permutation p-value can meaningfully go below ~${floor}, above alpha ${inf.alpha}: the test cannot find anything significant; add subjects or use a parametric correction (fdr, bonferroni)`);
          } else if (count < inf.n_perm) {
            ctx.warnings?.push(`${where}: ${subjects.length} subjects allow only ${count} distinct ${scheme}; the ${inf.n_perm} random draws repeat them (the p-values estimate the exact permutation p-values, which cannot go below ~${floor})`);
          }
          const blocks: string[] = [];
          for (let start = 0; start < inf.n_perm; start += PERMUTATIONS_PER_BLOCK) {
            const count = Math.min(PERMUTATIONS_PER_BLOCK, inf.n_perm - start);
            const id = `permute/${test.label}/${label}/${blocks.length + 1}`;
            const p: PermuteParams = { test: test.label, tested, two_sided: inf.two_sided, seed: inf.seed, start, count, cluster_forming_p: clusterFormingP, tfce: inf.tfce };
            nodes.push({ id, type: 'permute', params: p as unknown as Json, deps: { group: groupId }, files: {}, stage: 'correct', label: `${test.label} ${label} ${start}-${start + count - 1}` });
            blocks.push(id);
          }
          deps.chunks = blocks;
        }
        const cp: CorrectParams = {
          test: test.label, index: ti, label, method: inf.method, alpha: inf.alpha, height_control: inf.height_control,
          two_sided: inf.two_sided, cluster_threshold: inf.cluster_threshold, stat_threshold: inf.stat_threshold, tested,
          tfce: inf.tfce, cluster_forming_p: clusterFormingP, atlas_names: atlas?.names ?? null,
        };
        nodes.push({ id: correctId, type: 'correct', params: cp as unknown as Json, deps, files: atlas ? { atlas: atlas.file } : {}, stage: 'correct', label: `${test.label} ${label}` });
        nodes.push({
          id: `save/${correctId}`, type: 'save',
          params: { kind: 'correction', dir, label: test.label, method: label, primary: mi === primary },
          deps: { correct: correctId, group: groupId }, files: {}, stage: 'save', label: `${test.label} ${label}`,
        });
      }
    }
  }
}

/** index -> name of the ROI atlas labels (roi.labels TSV: index + name columns); undefined after reporting a problem. */
export async function atlasNames(ctx: StageContext): Promise<Record<string, string> | undefined> {
  const r = ctx.loaded.spec.roi;
  const names: Record<string, string> = {};
  if (!r?.labels) return names;
  const t = await readTsv(r.labels);
  const idCol = ['index', 'label', 'id'].find((c) => t.has(c));
  const nameCol = ['name', 'label_name', 'region'].find((c) => t.has(c));
  if (!idCol || !nameCol) {
    ctx.problems.push(problemAt(ctx.loaded, ['roi', 'labels'], `${r.labels} needs an 'index' and a 'name' column (has: ${t.columns.join(', ')})`, 'value'));
    return undefined;
  }
  const ids = t.numeric(idCol);
  const nm = t.raw(nameCol);
  ids.forEach((id, i) => (names[String(id)] = nm[i] ?? `label-${id}`));
  return names;
}
