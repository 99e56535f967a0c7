import { basename, resolve } from 'node:path';
import type { Graph, Json, PlannedNode } from '../engine/types.js';
import { problemLines, UserError } from '../errors.js';
import { loadSpec, sortProblems, type LoadedSpec, type LocatedProblem } from './load.js';
import type { PathSeg } from './source.js';
import { semanticItems, problemAt } from './semantic.js';
import type { DataSpec, FirstLevelSpec, ReportSpec } from './types.js';
import { discoverBids, sameLabel, type BidsRun, type SkippedSubject } from '../io/bids.js';
import { readNiftiHeader, sameGrid, type NiftiHeaderInfo } from '../io/nifti.js';
import { describeGrid } from '../pipeline/roi-images.js';
import { readEvents } from '../pipeline/events-file.js';
import { readConfounds, type ConfoundSelection } from '../pipeline/confound-table.js';
import type { DesignParams } from '../pipeline/first-level-design.js';
import { FirstLevelModelChecks } from './model-checks.js';
import { runLabel, runPath } from '../pipeline/runs.js';
import { repetitionTime } from '../pipeline/repetition-time.js';
import type { ConfoundsResult } from '../stats/confounds/confounds.js';
import { contrastMatrixFor } from '../pipeline/contrast-definition.js';
import { glmflowVersion } from '../version.js';
import type { ReportParams } from '../../nodes/report.js';
import { boldDesc } from './option-checks.js';
import { addGroupStage, methodLabels, type SubjectOutputs } from './compile-group.js';
import { findPreprocT1w } from '../io/anat.js';
import { isMni152Space } from '../io/mni152.js';
import { addRoiStage } from './compile-roi.js';
import { addSingleTrialStage } from './compile-single-trial.js';

export interface CompiledPipeline {
  specFile: string;
  loaded: LoadedSpec;
  graph: Graph;
  outputDir: string;
  /** One line for `validate`: subjects, runs, nodes. */
  summary: string;
  /** Subjects left out of `subjects: all`, with the reason (listed by validate, plan and run). */
  skipped: SkippedSubject[];
  /** Warnings about the data found while compiling (e.g. a TR disagreement); the analysis proceeds. */
  warnings: string[];
  /** Warnings about events files; at run time the load nodes repeat them, so only validate and plan print these. */
  eventWarnings: string[];
}

/** What compiling found out about the data beside the runs. */
interface DataNotices {
  skipped: SkippedSubject[];
  warnings: string[];
  eventWarnings: string[];
}

const OUTPUTS_DEFAULT = ['z_score', 'stat', 'effect_size', 'effect_variance', 'p_value'];

/** A problem found while checking the data, reported at the spec key it concerns. */
const at = problemAt;

interface PreparedRun {
  bids: BidsRun;
  label: string;
  path: string;
  design: DesignParams;
  columns: string[];
  /** The events' trial types (design conditions), sorted. */
  conditions: string[];
  /** The BOLD header read by the checks (dims, affine: the run's grid). */
  header: NiftiHeaderInfo;
}

/**
 * Spec -> node graph, with every check that can be made before computing:
 * schema and semantic problems, BIDS discovery, each run's events and header,
 * confound columns, the mask grid, and each contrast against each run's real
 * design columns. All problems are gathered and reported at once (exit 2).
 */
export async function compilePipeline(specFile: string, opts: { overrides?: string[]; out?: string }): Promise<CompiledPipeline> {
  // Every check that can run does, and all problems are reported at once: schema problems
  // leave their keys out (defaults apply) so the semantic and data checks still run.
  const loaded = await loadSpec(specFile, opts.overrides ?? [], { collect: true });
  // (A whole section refused by the schema would only give "section missing" problems.)
  const sectionPruned = loaded.pruned.some((p) => p.length === 1 && ['data', 'first_level', 'group', 'roi'].includes(p[0] as string));
  const specProblems = [...loaded.schemaProblems, ...(sectionPruned ? [] : semanticItems(loaded, { skip: loaded.pruned }))];
  const spec = loaded.spec;
  const fl = spec.first_level;
  const outputDir = resolve(opts.out ?? spec.output);
  const problems: string[] = [];
  // The data checks read what the data section, the mask and the confounds point at: with
  // problems there they would only repeat them.
  const dataSound = !specProblems.some((p) => DATA_KEYS.some((k) => k.every((seg, i) => p.path[i] === seg)));
  const notices: DataNotices = { skipped: [], warnings: [], eventWarnings: [] };
  const warnings = notices.warnings;
  const prepared = fl && spec.data && dataSound ? await prepareFirstLevel(loaded, fl, spec.data, problems, notices) : [];
  // Each contrast must be valid against every run's design columns (nilearn checks per run).
  for (const [name, def] of Object.entries((fl?.contrasts ?? {}) as Record<string, Json>)) {
    for (const p of prepared) {
      try {
        contrastMatrixFor(def, p.columns);
      } catch (e) {
        problems.push(at(loaded, ['first_level', 'contrasts', name], `${(e as Error).message} (design of sub-${p.bids.subject} ${p.label})`));
        break;
      }
    }
  }
  if (specProblems.length) {
    const all = orderedProblems(loaded, specProblems, problems);
    throw new UserError(`${loaded.file}: ${all.length} problem${all.length > 1 ? 's' : ''} in the spec${problems.length ? ' and its data' : ''}`, all);
  }
  if (problems.length) throw new UserError(`${loaded.file}: ${problems.length} problem${problems.length > 1 ? 's' : ''} with the data`, problems);

  const underlays = await underlaySources(spec.data, prepared, spec.report !== false);
  const { graph, subjects: subjectOutputs } = buildGraph(loaded, prepared, outputDir, underlays);
  const stage = { loaded, outputDir, nodes: graph.nodes, problems, warnings, subjects: subjectOutputs };
  await addGroupStage(stage);
  await addRoiStage(stage);
  await addSingleTrialStage(stage);
  linkReportToStages(graph);
  reportThresholdProblem(loaded, problems);
  if (problems.length) throw new UserError(`${loaded.file}: ${problems.length} problem${problems.length > 1 ? 's' : ''} with the data`, problems);
  const subjects = new Set(prepared.map((p) => p.bids.subject));
  return {
    specFile: loaded.file, loaded, graph, outputDir, ...notices,
    summary: `${subjects.size} subject${subjects.size === 1 ? '' : 's'}, ${prepared.length} run${prepared.length === 1 ? '' : 's'}, ${Object.keys(fl?.contrasts ?? {}).length} first-level contrasts, ${spec.group?.contrasts.length ?? 0} group contrasts, ${graph.nodes.length} nodes`,
  };
}

/** Spec sections whose problems stop the data checks (see compilePipeline). */
const DATA_KEYS: PathSeg[][] = [['data'], ['first_level', 'mask'], ['first_level', 'confounds'], ['first_level', 'confounds_fill_na']];

/**
 * Spec problems (sorted by position) merged with data problems: those located in the spec
 * file (`file:line:col: …`) take their place by position, the others follow in order.
 */
function orderedProblems(loaded: LoadedSpec, spec: LocatedProblem[], data: string[]): string[] {
  const prefix = `${loaded.source.display}:`;
  const key = (text: string): [number, number, number] => {
    if (text.startsWith('--set ')) return [1, 0, 0];
    const m = text.startsWith(prefix) ? /^(\d+):(\d+):/.exec(text.slice(prefix.length)) : null;
    return m ? [0, Number(m[1]), Number(m[2])] : [2, 0, 0];
  };
  const texts = [...sortProblems(loaded.source, spec), ...data];
  const keyed = texts.map((text, i) => ({ text, k: [...key(text), i] }));
  keyed.sort((a, b) => {
    for (let j = 0; j < 4; j++) if (a.k[j] !== b.k[j]) return a.k[j] - b.k[j];
    return 0;
  });
  return [...new Set(keyed.map((x) => x.text))];
}

/** Discovers the runs and checks each one (header, t_r, events, confounds, mask grid); builds its design to know the columns. */
async function prepareFirstLevel(loaded: LoadedSpec, fl: FirstLevelSpec, data: DataSpec, problems: string[], notices: DataNotices): Promise<PreparedRun[]> {

  let runs: BidsRun[];
  try {
    const found = await discoverBids({
      bids: data.bids, derivatives: data.derivatives, task: data.task!, space: data.space,
      desc: boldDesc(loaded.spec, loaded.raw as Record<string, any>), filters: data.filters, subjects: data.subjects, runs: data.runs,
    });
    runs = found.runs;
    notices.skipped.push(...found.skipped);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(at(loaded, ['data'], e.message), e.problems);
    throw e;
  }
  const sessions = data.sessions;
  if (sessions !== 'all') {
    const found = [...new Set(runs.map((r) => r.session).filter(Boolean))] as string[];
    sessions.forEach((s, i) => {
      if (!found.some((f) => sameLabel(f, s))) problems.push(at(loaded, ['data', 'sessions', i], `session '${s}' not found for task '${data.task}' (sessions: ${found.join(', ') || 'none'})`, 'value'));
    });
    const before = new Set(runs.map((r) => r.subject));
    runs = runs.filter((r) => r.session !== undefined && sessions.some((s) => sameLabel(r.session!, s)));
    const after = new Set(runs.map((r) => r.subject));
    for (const s of before) if (!after.has(s)) notices.skipped.push({ subject: s, reason: `no run in the sessions of data.sessions (${sessions.join(', ')})` });
  }

  const prepared: PreparedRun[] = [];
  const modelChecks = new FirstLevelModelChecks(loaded, fl, problems, notices.warnings);
  let maskHeader: ReturnType<typeof readNiftiHeader> | undefined;
  // a subject's runs share one mask and one set of maps: the first run's grid is the subject's
  const subjectGrid = new Map<string, { bold: string; grid: NiftiHeaderInfo }>();
  for (const r of runs) {
    const where = `sub-${r.subject} ${runLabel(r)}`;
    try {
      const header = await readNiftiHeader(r.bold);
      if (header.dims.length < 4 || header.dims[3] < 2) {
        problems.push(`${r.bold}: expected a 4D BOLD series, found dims ${header.dims.join('x')}`);
        continue;
      }
      const first = subjectGrid.get(r.subject);
      if (!first) subjectGrid.set(r.subject, { bold: r.bold, grid: header });
      else if (!sameGrid(first.grid, header)) {
        problems.push(`${where}: ${r.bold} is not on the grid of the subject's first run ${first.bold} (this run: ${describeGrid(header)}; first run: ${describeGrid(first.grid)}); expected every run of a subject on one grid (resample the runs to one space, e.g. with fMRIPrep's output spaces)`);
        continue;
      }
      const timing = repetitionTime(fl.t_r, {
        sidecar: r.sidecar, sidecarSource: r.sidecarSource, bold: r.bold,
        headerTr: header.pixdim[3], headerTimeUnit: header.tUnits, nVolumes: header.dims[3],
      });
      if ('problem' in timing) {
        problems.push(at(loaded, ['first_level', 't_r'], timing.problem));
        continue;
      }
      notices.warnings.push(...timing.notes);
      const tr = timing.tr;
      const { table: events, dropped } = await readEvents(r.events);
      if (dropped) notices.eventWarnings.push(`${r.events}: ${dropped}`);
      let conf: ConfoundsResult | null = null;
      if (hasConfounds(fl)) {
        if (!r.confounds) {
          problems.push(at(loaded, ['first_level', 'confounds'], `${where}: no confounds file (desc-confounds_timeseries.tsv) beside ${r.bold}`));
          continue;
        }
        conf = await readConfounds(r.confounds, r.confoundsJson, {
          selection: fl.confounds as ConfoundSelection['selection'], fill_na: fl.confounds_fill_na ?? false,
          volumes: { count: header.dims[3], bold: r.bold },
        });
      }
      if (fl.mask !== 'auto' && fl.mask !== 'derivatives') {
        // one mask for every run: its header is read once
        maskHeader ??= readNiftiHeader(fl.mask);
        const m = await maskHeader;
        if (!sameGrid(m, header)) {
          problems.push(at(loaded, ['first_level', 'mask'], `${fl.mask} is not on the grid of ${r.bold} (mask ${m.dims.slice(0, 3).join('x')}, BOLD ${header.dims.slice(0, 3).join('x')}, or different affines)`));
        }
      } else if (fl.mask === 'derivatives') {
        if (!r.brainMask) problems.push(at(loaded, ['first_level', 'mask'], `${where}: no desc-brain_mask beside ${r.bold}`));
        else {
          // the subject's mask is the intersection of its runs' masks, voxel by voxel
          const m = await readNiftiHeader(r.brainMask);
          if (!sameGrid(m, header)) {
            problems.push(at(loaded, ['first_level', 'mask'], `${where}: the brain mask ${r.brainMask} is not on the grid of ${r.bold} (mask: ${describeGrid(m)}; BOLD: ${describeGrid(header)}); expected fMRIPrep's mask of this run`));
          }
        }
      }
      const design: DesignParams = {
        run: runLabel(r), n_scans: header.dims[3], t_r: tr, slice_time_ref: fl.slice_time_ref ?? 0,
        hrf_model: fl.hrf_model, fir_delays: fl.fir_delays ?? [0], drift_model: fl.drift_model, high_pass: fl.high_pass,
        drift_order: fl.drift_order, min_onset: fl.min_onset, oversampling: 50,
      };
      // the design as the `design` node will build it, unless the run cannot be estimated
      const dm = modelChecks.checkRun({ where, bold: r.bold, design, events, confounds: conf });
      if (!dm) continue;
      prepared.push({ bids: r, label: runLabel(r), path: runPath(r), design, columns: dm.columns, conditions: [...new Set(events.trialType)].sort(), header });
    } catch (e) {
      if (e instanceof UserError) problems.push(...problemLines(e));
      else problems.push(`${where}: ${(e as Error).message}`);
    }
  }
  modelChecks.finish();
  return prepared;
}

/**
 * Per subject, the image under its figures when the space is not an MNI152 one (those use the
 * shipped template): fMRIPrep's preprocessed T1w in that space when present, else the mean
 * of the first run's BOLD.
 */
async function underlaySources(data: DataSpec | undefined, runs: PreparedRun[], wanted: boolean): Promise<Map<string, { kind: 't1w' | 'mean-epi'; image: string }>> {
  const out = new Map<string, { kind: 't1w' | 'mean-epi'; image: string }>();
  if (!wanted || !data || isMni152Space(figureSpace(data, runs))) return out;
  for (const r of runs) {
    if (out.has(r.bids.subject)) continue;
    const t1w = data.derivatives ? await findPreprocT1w(data.derivatives, r.bids.subject, data.space) : undefined;
    out.set(r.bids.subject, t1w ? { kind: 't1w', image: t1w } : { kind: 'mean-epi', image: r.bids.bold });
  }
  return out;
}

/** The space of the maps: data.space, else the `space-` entity of the first BOLD file (none for raw BIDS). */
function figureSpace(data: DataSpec | undefined, runs: PreparedRun[]): string | undefined {
  if (data?.space) return data.space;
  const bold = runs[0]?.bids.bold;
  return bold ? /_space-([A-Za-z0-9]+)_/.exec(basename(bold))?.[1] : undefined;
}

/** report.threshold naming an inference method must name one of group.inference. */
function reportThresholdProblem(loaded: LoadedSpec, problems: string[]): void {
  const thr = typeof loaded.spec.report === 'object' ? loaded.spec.report.threshold : undefined;
  if (typeof thr !== 'string') return;
  const labels = loaded.spec.group ? methodLabels(loaded.spec.group.inference) : [];
  if (!labels.includes(thr)) {
    problems.push(problemAt(loaded, ['report', 'threshold'], labels.length
      ? `'${thr}' is not one of the group inference methods; expected a z value or one of: ${labels.join(', ')}`
      : `'${thr}' names an inference method but the spec has no group.inference; expected a z value`, 'value'));
  }
}

/** The report also shows group results (with corrections) and ROI tables. */
function linkReportToStages(graph: Graph): void {
  const report = graph.nodes.find((n) => n.id === 'report');
  if (!report) return;
  const ofType = (type: string, pred: (n: PlannedNode) => boolean = () => true) => graph.nodes.filter((n) => n.type === type && pred(n)).map((n) => n.id);
  const extra = {
    groups: ofType('group'),
    corrections: ofType('correct'),
    rois: ofType('roi', (n) => (n.params as { kind?: string }).kind === 'glm'),
    singleTrials: ofType('single-trial'),
  };
  report.deps = { ...report.deps, ...extra };
  const params = report.params as unknown as ReportParams;
  params.ids = { ...params.ids, ...extra };
  // the ROI atlas names the peaks of the first-level cluster tables too
  const roiGlm = graph.nodes.find((n) => n.type === 'roi' && (n.params as { kind?: string }).kind === 'glm' && n.files.atlas);
  if (roiGlm) {
    report.files = { ...report.files, atlas: roiGlm.files.atlas };
    params.atlasNames = (roiGlm.params as { names?: Record<string, string> }).names;
  }
}

const hasConfounds = (fl: FirstLevelSpec) => (Array.isArray(fl.confounds) ? fl.confounds.length > 0 : Boolean(fl.confounds));

/** The model parameters shown in the report, in words. */
function modelParameters(fl: FirstLevelSpec): { name: string; value: string }[] {
  // objects as "key: value; ..." so that long confound strategies wrap in the report table
  const show = (v: unknown): string =>
    typeof v === 'string' ? v
    : Array.isArray(v) ? v.map(show).join(', ')
    : v && typeof v === 'object' ? Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`).join('; ')
    : JSON.stringify(v);
  const keys: (keyof FirstLevelSpec)[] = ['t_r', 'slice_time_ref', 'hrf_model', 'fir_delays', 'drift_model', 'high_pass', 'drift_order', 'noise_model', 'smoothing_fwhm', 'signal_scaling', 'mask', 'confounds'];
  return keys.filter((k) => fl[k] !== undefined).map((k) => ({ name: k, value: show(fl[k]) }));
}

/** report: {threshold, cut_coords} as report node parameters. */
function reportFigureSettings(r: boolean | ReportSpec): Pick<ReportParams, 'threshold' | 'cutCoords'> {
  if (typeof r !== 'object') return {};
  return { ...(r.threshold !== undefined ? { threshold: r.threshold } : {}), ...(r.cut_coords ? { cutCoords: r.cut_coords } : {}) };
}

function buildGraph(loaded: LoadedSpec, runs: PreparedRun[], outputDir: string, underlays: Map<string, { kind: 't1w' | 'mean-epi'; image: string }>): { graph: Graph; subjects: SubjectOutputs[] } {
  const version = glmflowVersion();
  const spec = loaded.spec;
  const fl = spec.first_level;
  const nodes: PlannedNode[] = [];
  const outputs: string[] = fl?.outputs ?? OUTPUTS_DEFAULT;
  const bySubject = new Map<string, PreparedRun[]>();
  for (const r of runs) (bySubject.get(r.bids.subject) ?? bySubject.set(r.bids.subject, []).get(r.bids.subject)!).push(r);

  const reportDeps: Record<string, string[]> = { designs: [], contrasts: [], masks: [], underlays: [] };
  const report: Omit<ReportParams, 'dir' | 'name' | 'specHash' | 'version' | 'dataset' | 'parameters'> = { designs: [], masks: [], contrasts: [], underlays: [], ids: reportDeps };
  const subjects: SubjectOutputs[] = [];
  for (const [subject, subjectRuns] of bySubject) {
    if (!fl) break; // runs exist only with a first level
    const sub = `sub-${subject}`;
    const outputsOf: SubjectOutputs = { subject, contrastIds: {}, maskId: `mask/${sub}`, runs: [], boldHeader: subjectRuns[0].bids.bold, boldGrid: subjectRuns[0].header };
    subjects.push(outputsOf);
    const maskId = `mask/${sub}`;
    const maskFiles =
      fl.mask === 'auto' ? [subjectRuns[0].bids.bold]
      : fl.mask === 'derivatives' ? subjectRuns.map((r) => r.bids.brainMask!)
      : [fl.mask];
    nodes.push({ id: maskId, type: 'mask', params: { mode: fl.mask === 'auto' || fl.mask === 'derivatives' ? fl.mask : 'path' }, deps: {}, files: { masks: maskFiles }, stage: 'mask', subject: sub });
    reportDeps.masks.push(maskId);
    report.masks.push(sub);
    const under = underlays.get(subject);
    if (under) {
      const id = `underlay/${sub}`;
      nodes.push({ id, type: 'underlay', params: { kind: under.kind }, deps: {}, files: { image: under.image }, stage: 'report', subject: sub, label: `underlay (${under.kind})` });
      reportDeps.underlays.push(id);
      report.underlays.push(sub);
    }
    const designIds: string[] = [];
    const fitIds: string[] = [];
    for (const r of subjectRuns) {
      const loadId = `load/${r.path}`;
      nodes.push({ id: loadId, type: 'load', params: { run: r.label }, deps: {}, files: { events: r.bids.events }, stage: 'load', subject: sub, label: r.label });
      const designDeps: Record<string, string> = { events: loadId };
      if (hasConfounds(fl)) {
        const confId = `confounds/${r.path}`;
        nodes.push({
          id: confId, type: 'confounds', params: { selection: fl.confounds, fill_na: fl.confounds_fill_na ?? false } as unknown as Json,
          deps: {}, files: { confounds: r.bids.confounds!, ...(r.bids.confoundsJson ? { json: r.bids.confoundsJson } : {}) },
          stage: 'confounds', subject: sub, label: r.label,
        });
        designDeps.confounds = confId;
      }
      const designId = `design/${r.path}`;
      nodes.push({ id: designId, type: 'design', params: r.design as unknown as Json, deps: designDeps, files: {}, stage: 'design', subject: sub, label: r.label });
      designIds.push(designId);
      // A spec with only single_trial (no contrasts, no r_square) needs no condition-model fit.
      if (Object.keys(fl.contrasts ?? {}).length > 0 || fl.r_square) {
        const fitId = `fit/${r.path}`;
        nodes.push({
          id: fitId, type: 'fit',
          params: {
            run: r.label, noise_model: fl.noise_model, smoothing_fwhm: fl.smoothing_fwhm ?? null, signal_scaling: fl.signal_scaling, bins: 100,
            ...(fl.save_residuals ? { save_residuals: true } : {}),
          },
          deps: { design: designId, mask: maskId }, files: { bold: r.bids.bold }, stage: 'fit', subject: sub, label: r.label,
        });
        fitIds.push(fitId);
        // residual variance per run (nilearn's residuals), and the series with save_residuals
        nodes.push({
          id: `save/${r.path}/residuals`, type: 'save',
          params: { kind: 'residuals', dir: resolve(outputDir, 'first_level', sub), prefix: `${sub}_${r.label}`, t_r: r.design.t_r, series: fl.save_residuals === true },
          deps: { fit: fitId, mask: maskId }, files: {}, stage: 'save', subject: sub, label: `${r.label} residuals`,
        });
        if (fl.r_square) {
          nodes.push({
            id: `save/${r.path}/rsquare`, type: 'save', params: { kind: 'rsquare', dir: resolve(outputDir, 'first_level', sub), prefix: `${sub}_${r.label}` },
            deps: { fit: fitId, mask: maskId }, files: {}, stage: 'save', subject: sub, label: `${r.label} r_square`,
          });
        }
      }
      outputsOf.runs.push({ label: r.label, bold: r.bids.bold, designId, confoundsId: designDeps.confounds, loadId, design: r.design, conditions: r.conditions });
    }
    reportDeps.designs.push(...designIds);
    for (const r of subjectRuns) report.designs.push({ subject: sub, run: r.label, prefix: `${sub}_${r.label}` });
    const subjectDir = resolve(outputDir, 'first_level', sub);
    nodes.push({
      id: `save/${sub}/design`, type: 'save',
      params: { kind: 'design', dir: subjectDir, subject: sub, runs: subjectRuns.map((r) => `${sub}_${r.label}`) },
      deps: { designs: designIds, mask: maskId }, files: {}, stage: 'save', subject: sub, label: 'design',
    });
    for (const [name, definition] of Object.entries(fl.contrasts as Record<string, Json>)) {
      const cid = `contrast/${sub}/${name}`;
      outputsOf.contrastIds[name] = cid;
      nodes.push({ id: cid, type: 'contrast', params: { name, definition }, deps: { fits: fitIds, designs: designIds }, files: {}, stage: 'contrast', subject: sub, label: name });
      nodes.push({
        id: `save/${sub}/${name}`, type: 'save',
        params: { kind: 'contrast', dir: subjectDir, prefix: sub, contrast: name, outputs },
        deps: { contrast: cid, mask: maskId }, files: {}, stage: 'save', subject: sub, label: name,
      });
      // the contrast's weights over each run's design columns, drawn (plot_contrast_matrix)
      nodes.push({
        id: `save/${sub}/${name}/matrix`, type: 'save',
        params: { kind: 'contrast-matrix', dir: subjectDir, prefix: sub, contrast: name, definition, runs: subjectRuns.map((r) => r.label) },
        deps: { designs: designIds }, files: {}, stage: 'save', subject: sub, label: `${name} matrix`,
      });
      reportDeps.contrasts.push(cid);
      report.contrasts.push({ subject: sub, name, definition: typeof definition === 'string' ? definition : JSON.stringify(definition) });
    }
  }
  nodes.push({
    id: 'save/dataset', type: 'save',
    params: { kind: 'dataset', dir: outputDir, name: spec.name, specHash: loaded.hash, version },
    deps: {}, files: {}, stage: 'save', label: 'dataset_description',
  });
  if (spec.report !== false) {
    nodes.push({
      id: 'report', type: 'report',
      params: {
        ...report, dir: outputDir, name: spec.name, specHash: loaded.hash, version,
        dataset: { bids: spec.data?.bids, derivatives: spec.data?.derivatives, task: spec.data?.task, space: figureSpace(spec.data, runs) },
        parameters: fl ? modelParameters(fl) : [],
        specPath: loaded.source.display,
        specText: loaded.source.text + loaded.source.overrides.map((o) => `\n# --set ${o.arg}`).join(''),
        ...reportFigureSettings(spec.report),
      } satisfies ReportParams as unknown as Json,
      deps: reportDeps, files: {}, stage: 'report', label: 'report.html',
    });
  }
  return { graph: { nodes }, subjects };
}
