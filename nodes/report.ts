import { join } from 'node:path';
import type { Artifact, NodeDefinition } from '../src/engine/types.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { renderReport } from '../src/report/html.js';
import type { ReportContrast, ReportDesign, ReportFigure, ReportGroupResult, ReportModel, ReportNode, ReportRoi, ReportSingleTrial } from '../src/report/model.js';
import { plotDesignMatrix } from '../src/plot/design-plot.js';
import { plotHeatmap, strongestColumns } from '../src/plot/heatmap.js';
import { gatherTrials } from './lib/betaseries-save.js';
import type { SingleTrialMeta } from './single-trial.js';
import type { GroupMeta } from './group.js';
import type { CorrectMeta } from './correct.js';
import type { RoiMeta } from './roi.js';
import { many, type DesignMeta, type MaskMeta } from './lib/artifacts.js';
import { outputsProblem, type WrittenFile } from './lib/outputs.js';
import { statLabel, unmask } from './lib/maps.js';
import { ReportAssets } from './lib/report-assets.js';
import { clustersTable, type ClusterRow } from '../src/stats/inference/clusters.js';
import { readNifti } from '../src/io/nifti.js';
import type { ReportTable, ReportViewerMap } from '../src/report/model.js';
import { artifactUnderlay, DEFAULT_Z_THRESHOLD, thresholdText, underlayFor, writeStatFigures } from './lib/stat-figures.js';
import type { Underlay } from '../src/plot/underlay.js';
import type { ReportCorrection } from '../src/report/model.js';

/** First-level cluster tables leave out clusters smaller than this (voxels). */
const MIN_CLUSTER_VOXELS = 10;

export interface ReportParams {
  dir: string;
  name: string;
  specHash: string;
  version: string;
  dataset: { bids?: string; derivatives?: string; task?: string; space?: string };
  parameters: { name: string; value: string }[];
  /** Parallel to the `designs` input. */
  designs: { subject: string; run: string; prefix: string }[];
  /** Parallel to the `masks` input. */
  masks: string[];
  /** Parallel to the `contrasts` input. */
  contrasts: { subject: string; name: string; definition: string }[];
  /** Subjects parallel to the `underlays` input (non-MNI spaces: T1w or mean EPI under the figures). */
  underlays: string[];
  /** report.threshold: a z value, or the label of the group inference method whose corrected maps the group figures show. */
  threshold?: number | string;
  /** report.cut_coords (mm) of the orthogonal views; default each map's peak. */
  cutCoords?: [number, number, number];
  /** Node ids parallel to the inputs, for provenance. */
  ids: Record<string, string[]>;
  /** The spec file's text (and --set overrides) and its path as given, shown in the provenance. */
  specText?: string;
  specPath?: string;
  /** With the ROI atlas (files.atlas): label index -> name, for the first-level cluster tables. */
  atlasNames?: Record<string, string>;
}

/** The collinearity check a design artifact carries (nodes/design.ts meta.collinearity). */
interface DesignCollinearity {
  correlationThreshold: number;
  vifThreshold: number;
  pairs: Array<{ a: string; b: string; r: number }>;
  vif: Array<{ column: string; vif: number | null; flagged: boolean }>;
}

/** nilearn's cluster table columns, plus Label when an atlas named the peaks. */
function clusterTable(rows: ClusterRow[]): ReportTable {
  const labelled = rows.some((r) => r.label !== undefined);
  return {
    columns: ['Cluster ID', 'X', 'Y', 'Z', 'Peak Stat', 'Cluster Size (mm3)', ...(labelled ? ['Label'] : [])],
    rows: rows.map((r) => [r.clusterId, r.x, r.y, r.z, r.peakStat, r.clusterSizeMm3 === '' ? null : r.clusterSizeMm3, ...(labelled ? [r.label ?? ''] : [])]),
  };
}

/** Largest |value| of a map (the colour limit shared by a test's uncorrected and corrected figures). */
function maxAbs(v: Float32Array): number {
  let m = 0;
  for (const x of v) if (Number.isFinite(x) && Math.abs(x) > m) m = Math.abs(x);
  return m;
}

/** Smallest non-zero |value| of a corrected map (its effective threshold), or null when empty. */
function minAbsNonZero(v: Float32Array): number | null {
  let m = Infinity;
  for (const x of v) if (x !== 0 && Number.isFinite(x) && Math.abs(x) < m) m = Math.abs(x);
  return Number.isFinite(m) ? m : null;
}

/**
 * Group maps per test with their corrections and cluster tables. Figures (SPEC
 * report.threshold): a z value draws the z map at that value; a method label draws that
 * method's corrected map; by default each inference method's corrected map is drawn at its
 * corrected threshold (the z map at 3.1 when there is no inference).
 */
async function groupResults(
  p: ReportParams, groups: Artifact[], corrections: Artifact[], underlay: Underlay | null, written: WrittenFile[], assets: ReportAssets, mni: boolean,
): Promise<ReportGroupResult[]> {
  const zThreshold = typeof p.threshold === 'number' ? p.threshold : DEFAULT_Z_THRESHOLD;
  const out: ReportGroupResult[] = [];
  const dir = p.dir;
  for (const g of groups) {
    const meta = g.meta as unknown as GroupMeta;
    const indices = g.arrays.indices as Int32Array;
    const grid: MaskMeta = { dims: meta.dims, affine: meta.affine, nVoxels: indices.length, source: 'group' };
    for (const [i, test] of meta.tests.entries()) {
      const z = unmask(g.arrays[`t${i}.z_score`] as Float32Array, indices, grid);
      const vmax = maxAbs(z) || 1;
      const mine = corrections.filter((c) => (c.meta as unknown as CorrectMeta).test === test.label);
      const drawn = typeof p.threshold === 'string' ? mine.filter((c) => (c.meta as unknown as CorrectMeta).label === p.threshold)
        : typeof p.threshold === 'number' ? [] : mine;
      const base = `figures/group_contrast-${test.label}_stat-z`;
      const figs = new Map<string, ReportFigure[]>();
      let main: Awaited<ReturnType<typeof writeStatFigures>> | undefined;
      if (!drawn.length) {
        const thr = typeof p.threshold === 'number' ? p.threshold : DEFAULT_Z_THRESHOLD;
        main = await writeStatFigures(dir, base, { data: z, dims: meta.dims, affine: meta.affine }, underlay,
          { threshold: thr, cutCoords: p.cutCoords, title: `group ${test.label} · z · ${thresholdText(thr)} (uncorrected)` }, `group z map ${test.label}`, written);
      }
      for (const c of drawn) {
        const cm = c.meta as unknown as CorrectMeta;
        const corrected = c.arrays.corrected as Float32Array;
        const thr = cm.threshold ?? minAbsNonZero(corrected) ?? vmax;
        const what = cm.nSignificant ? `${thresholdText(thr)}, ${cm.label} corrected (alpha ${cm.alpha})` : `${cm.label} (alpha ${cm.alpha}): no voxel survives`;
        const w = await writeStatFigures(dir, `${base}_${cm.label}-corrected`, { data: corrected, dims: meta.dims, affine: meta.affine }, underlay,
          { threshold: thr, vmax, cutCoords: p.cutCoords, title: `group ${test.label} · z · ${what}` }, `group z map ${test.label}, ${cm.label} corrected`, written);
        figs.set(cm.label, [w.ortho, ...w.views]);
        main ??= w;
      }
      const metas = mine.map((c) => c.meta as unknown as CorrectMeta);
      const withClusters = metas.find((c) => c.method === 'cluster') ?? metas.find((c) => c.clusters.length) ?? metas[0];
      const corrList: ReportCorrection[] = metas.map((c) => ({
        method: c.label,
        detail: `alpha ${c.alpha}${c.twoSided ? ', two-sided' : ', one-sided'}${c.clusterThreshold ? `, clusters >= ${c.clusterThreshold} voxels` : ''}`,
        threshold: c.threshold ?? undefined,
        nSignificant: c.nSignificant,
        file: { label: 'map', href: `group_level/group_contrast-${test.label}_stat-z_${c.label}-corrected.nii.gz` },
        // the first drawn method is the test's main figure
        clusters: clusterTable(c.clusters),
        ...(figs.has(c.label) && figs.get(c.label)![0] !== main!.ortho ? { figures: figs.get(c.label) } : {}),
      }));
      // viewer: the z map, and each method's corrected map as an alternative
      const mask = unmask(new Float32Array(indices.length).fill(1), indices, grid);
      const viewerUnderlay = (mni && (await assets.mniUnderlay())) ||
        (underlay ? await assets.underlay(`underlay-group-${meta.contrast}`, underlay.image) : await assets.underlay(`underlay-group-mask-${meta.contrast}`, { dims: meta.dims, affine: meta.affine, data: mask }, [0, 2.5]));
      const zMap = await assets.statMap(`group-${meta.contrast}-${test.label}-z`, { dims: meta.dims, affine: meta.affine, data: z });
      const alternatives = [{ id: zMap.id, label: 'z (uncorrected)', threshold: zThreshold }];
      for (const c of mine) {
        const cm = c.meta as unknown as CorrectMeta;
        const corrected = c.arrays.corrected as Float32Array | undefined;
        if (!corrected) continue;
        const m = await assets.statMap(`group-${meta.contrast}-${test.label}-${cm.label}`, { dims: meta.dims, affine: meta.affine, data: corrected });
        alternatives.push({ id: m.id, label: `${cm.label}-corrected`, threshold: cm.threshold !== null && Number.isFinite(cm.threshold) ? Number(cm.threshold.toFixed(3)) : 0.001 });
      }
      const peak = main!.peak;
      const viewer: ReportViewerMap = {
        map: zMap.id, underlay: viewerUnderlay, label: `group ${test.label} z`, threshold: zThreshold, max: zMap.max,
        ...(peak ? { peak: [peak.x, peak.y, peak.z] } : {}), maps: alternatives,
      };
      out.push({
        name: test.label,
        contrast: meta.contrast,
        viewer,
        clustersFrom: withClusters?.label,
        definition: `${meta.contrast}: ${meta.columns.map((c, j) => (test.weights[j] ? `${test.weights[j]}*${c}` : '')).filter(Boolean).join(' + ')}`,
        nSubjects: meta.subjects.length,
        figure: main!.ortho,
        views: main!.views,
        peak: main!.peak,
        corrections: corrList,
        clusters: withClusters ? clusterTable(withClusters.clusters) : undefined,
        files: ['z', 't', 'effect', 'variance', 'p'].map((s) => ({ label: s, href: `group_level/group_contrast-${test.label}_stat-${s}.nii.gz` })),
      });
    }
  }
  return out;
}

/** nilearn's HRF column suffixes of a condition (regressorNames): derivative, dispersion, FIR delays. */
const HRF_SUFFIX = /^_(derivative|dispersion|delay_\d+)$/;

/** True when design column `col` is one of condition (or trial) `name`'s HRF columns. */
function columnOf(col: string, name: string): boolean {
  return col === name || (col.startsWith(name + '_') && HRF_SUFFIX.test(col.slice(name.length)));
}

/**
 * The run's trial design: LSA's own; for LSS (one node per condition, each with the design
 * of its condition's trials split) the first node's design with each other node's condition
 * columns (all its HRF columns) replaced by that node's trial columns, i.e. every selected
 * trial split.
 */
export function trialDesign(parts: Artifact[]): { columns: string[]; data: Float64Array } {
  const designs = parts.map((a) => ({ meta: a.meta as unknown as SingleTrialMeta, data: a.arrays.design as Float64Array }));
  const base = designs[0];
  const p0 = base.meta.designColumns.length;
  const n = base.data.length / p0;
  // [design, column] of every output column, in the first design's order
  const sources: [number, number][] = [];
  const replaced = new Set<number>();
  base.meta.designColumns.forEach((c, j) => {
    const other = designs.findIndex((d, i) => i > 0 && d.meta.conditions.some((cond) => columnOf(c, cond)));
    if (other < 0) return void sources.push([0, j]);
    if (replaced.has(other)) return;
    replaced.add(other);
    const names = designs[other].meta.trials.map((t) => t.name);
    designs[other].meta.designColumns.forEach((name, k) => names.some((t) => columnOf(name, t)) && sources.push([other, k]));
  });
  const columns = sources.map(([d, j]) => designs[d].meta.designColumns[j]);
  const m = columns.length;
  const data = new Float64Array(n * m);
  sources.forEach(([d, j], o) => {
    const p = designs[d].meta.designColumns.length;
    for (let t = 0; t < n; t++) data[t * m + o] = designs[d].data[t * p + j];
  });
  return { columns, data };
}

/** The trial design figure's caption (K > 1: the HRF's K columns per trial and the estimate reported). */
function trialCaption(first: SingleTrialMeta, parts: Artifact[]): string {
  const K = first.columnsPerTrial ?? 1;
  const per = K === 1 ? 'one regressor per trial' : `${K} regressors per trial (${first.hrfModel}; the trial's estimate: ${first.hrfModel === 'fir' ? 'the mean over its delays' : 'its canonical column'})`;
  if (first.method === 'lsa') return `LSA design: ${per}`;
  const conds = parts.flatMap((a) => (a.meta as unknown as SingleTrialMeta).conditions).join(', ');
  return `LSS trial design: ${per} of ${conds} (each trial's model uses its own, the other trials of its condition together as the condition)`;
}

/** Voxels shown in the beta-series heat map. */
const HEATMAP_VOXELS = 60;

/**
 * Per run: the trial design (LSA: the all-trials design; LSS: every selected trial split, see
 * trialDesign) and a heat map of the effect series in
 * the voxels with the largest mean |z| over trials.
 */
async function singleTrialResults(dir: string, series: Artifact[], ids: string[], written: WrittenFile[]): Promise<ReportSingleTrial[]> {
  const byRun = new Map<string, { subject: string; run: string; parts: Artifact[] }>();
  series.forEach((a, i) => {
    const [, subject, run] = (ids[i] ?? '').split('/');
    const key = `${subject}/${run}`;
    (byRun.get(key) ?? byRun.set(key, { subject, run, parts: [] }).get(key)!).parts.push(a);
  });
  const out: ReportSingleTrial[] = [];
  for (const { subject, parts } of byRun.values()) {
    const first = parts[0].meta as unknown as SingleTrialMeta;
    const prefix = `${subject}_${first.run}_desc-${first.method}`;
    const { columns: cols, data: design } = trialDesign(parts);
    const designSrc = `figures/${prefix}_design.png`;
    written.push(await writeFileAtomic(join(dir, designSrc), [plotDesignMatrix(cols, { rows: design.length / cols.length, cols: cols.length, data: design })]));
    const order = gatherTrials(parts);
    const nm = first.nVoxels;
    const T = order.length;
    const z = new Float32Array(T * nm);
    const effect = new Float32Array(T * nm);
    order.forEach(({ part, k }, r) => {
      z.set((parts[part].arrays.z as Float32Array).subarray(k * nm, (k + 1) * nm), r * nm);
      effect.set((parts[part].arrays.effect as Float32Array).subarray(k * nm, (k + 1) * nm), r * nm);
    });
    const voxels = strongestColumns(z, T, nm, HEATMAP_VOXELS);
    const heat = new Float32Array(T * voxels.length);
    for (let r = 0; r < T; r++) voxels.forEach((v, c) => (heat[r * voxels.length + c] = effect[r * nm + v]));
    const step = Math.max(1, Math.ceil(T / 30));
    const rowNames = new Map(order.filter((_, r) => r % step === 0).map(({ trial }, i) => [i * step, trial.name]));
    const heatSrc = `figures/${prefix}_betaseries.png`;
    written.push(await writeFileAtomic(join(dir, heatSrc), [plotHeatmap(heat, T, voxels.length, {
      title: `${subject} ${first.run} ${first.method.toUpperCase()} effect sizes, ${voxels.length} voxels of largest mean |z|`,
      rowLabel: 'trials', columnLabel: 'voxels', rowNames,
    })]));
    const base = `first_level/${subject}/${prefix}`;
    out.push({
      subject, run: first.run, method: first.method, nTrials: T,
      inestimable: order.filter(({ trial }) => !trial.estimable).map(({ trial }) => trial.name),
      design: { src: designSrc, alt: `${first.method.toUpperCase()} trial design ${subject} ${first.run}`, caption: trialCaption(first, parts) },
      heatmap: { src: heatSrc, alt: `beta series heat map ${subject} ${first.run}` },
      files: [
        { label: 'effect (4D)', href: `${base}_stat-effect_betaseries.nii.gz` },
        { label: 'z (4D)', href: `${base}_stat-z_betaseries.nii.gz` },
        { label: 'trials (TSV)', href: `${base}_betaseries.tsv` },
      ],
    });
  }
  return out;
}

/** report: report.html and one stat-map figure per subject and contrast. */
export const report: NodeDefinition<ReportParams> = {
  type: 'report',
  // 4: provenance without per-node statuses (the report is cached: one run's statuses are
  //    false for the next)
  version: '4',
  description: 'HTML report with design matrices, stat maps, cluster tables, an interactive viewer and provenance',
  async run(_ctx, p, inputs) {
    const designs = many(inputs.nodes, 'designs');
    const masks = many(inputs.nodes, 'masks');
    const contrasts = many(inputs.nodes, 'contrasts');
    const maskOf = new Map<string, Artifact>(p.masks.map((s, i) => [s, masks[i]]));
    const written: WrittenFile[] = [];

    const reportDesigns: ReportDesign[] = designs.map((d, i) => {
      const m = d.meta as unknown as DesignMeta;
      const { subject, run, prefix } = p.designs[i];
      const base = `first_level/${subject}/${prefix}_design`;
      const out: ReportDesign = { subject, run, columns: m.columns, nScans: m.nScans, figure: { src: `${base}.png`, alt: `design matrix ${prefix}` }, tsv: `${base}.tsv` };
      // designs that carry their collinearity check also have the save node's correlation files (SPEC …_design-corr.tsv/.png)
      const col = (m as unknown as { collinearity?: DesignCollinearity }).collinearity;
      if (col) {
        out.correlation = { src: `${base}-corr.png`, alt: `design correlation ${prefix}` };
        out.correlationTsv = `${base}-corr.tsv`;
        out.collinearity = {
          limit: col.correlationThreshold, vifLimit: col.vifThreshold,
          pairs: col.pairs.map(({ a, b, r }) => ({ a, b, r })),
          vif: col.vif.map((v) => ({ column: v.column, value: v.vif, flagged: v.flagged })),
        };
      }
      return out;
    });
    // the same pipelines write each subject's contrast matrix figure (SPEC …_contrast-NAME_matrix.png)
    const contrastMatrices = designs.some((d) => (d.meta as { collinearity?: unknown }).collinearity !== undefined);

    const assets = new ReportAssets(p.dir);
    const mni = /^MNI152/.test(p.dataset.space ?? '');
    const atlas = inputs.files.atlas && p.atlasNames ? { data: (await readNifti(inputs.files.atlas as string)).data, names: p.atlasNames } : undefined;
    // Figures: MNI spaces over the shipped template, others over the subject's T1w or mean EPI.
    const underlayArts = many(inputs.nodes, 'underlays');
    const subjectUnderlay = new Map<string, Artifact>((p.underlays ?? []).map((s, i) => [s, underlayArts[i]]));
    const underlayOf = async (subject: string, mask: MaskMeta, indices: Int32Array): Promise<Underlay | null> => {
      const a = subjectUnderlay.get(subject);
      const maskVolume = { data: unmask(new Float32Array(indices.length).fill(1), indices, mask), dims: mask.dims, affine: mask.affine };
      return underlayFor(p.dataset.space, a ? artifactUnderlay(a, maskVolume) : null);
    };
    const zThreshold = typeof p.threshold === 'number' ? p.threshold : DEFAULT_Z_THRESHOLD;
    const underlays = new Map<string, Underlay | null>();
    const byName = new Map<string, ReportContrast>();
    for (const [i, c] of contrasts.entries()) {
      const { subject, name, definition } = p.contrasts[i];
      const maskArt = maskOf.get(subject)!;
      const mask = maskArt.meta as unknown as MaskMeta;
      const indices = maskArt.arrays.indices as Int32Array;
      if (!underlays.has(subject)) underlays.set(subject, await underlayOf(subject, mask, indices));
      const statType = (c.meta as { statType: 't' | 'F' }).statType;
      const z = unmask(c.arrays.z_score as Float32Array, indices, mask);
      const fig = await writeStatFigures(p.dir, `figures/${subject}_contrast-${name}_stat-z`, { data: z, dims: mask.dims, affine: mask.affine }, underlays.get(subject)!,
        { threshold: zThreshold, cutCoords: p.cutCoords, title: `${subject} ${name} · z · ${thresholdText(zThreshold)} (uncorrected)` }, `${name} z map of ${subject}`, written);
      // the atlas names peaks only when it lies on this subject's grid
      const sameGrid = atlas && atlas.data.length >= z.length;
      const rows = clustersTable(z, mask.dims, mask.affine, {
        statThreshold: zThreshold, twoSided: true, clusterThreshold: MIN_CLUSTER_VOXELS, ...(sameGrid ? { atlas } : {}),
      });
      // viewer underlay: the MNI template, else the subject's T1w or mean EPI, else the analysis mask in mid-grey
      const under = underlays.get(subject);
      const viewerUnderlay =
        (mni && (await assets.mniUnderlay())) ||
        (under ? await assets.underlay(`underlay-${subject}`, under.image) : await assets.underlay(`underlay-${subject}-mask`, { dims: mask.dims, affine: mask.affine, data: unmask(new Float32Array(indices.length).fill(1), indices, mask) }, [0, 2.5]));
      const zMap = await assets.statMap(`${subject}-${name}-z`, { dims: mask.dims, affine: mask.affine, data: z });
      const entry = byName.get(name) ?? { name, definition, statType, maps: [] };
      entry.maps.push({
        subject,
        figure: fig.ortho,
        views: fig.views,
        peak: fig.peak,
        ...(contrastMatrices ? { matrix: { src: `first_level/${subject}/${subject}_contrast-${name}_matrix.png`, alt: `contrast matrix ${name} ${subject}` } } : {}),
        thresholdLabel: `${thresholdText(zThreshold)}, clusters ≥ ${MIN_CLUSTER_VOXELS} voxels`,
        clusters: clusterTable(rows),
        viewer: { map: zMap.id, underlay: viewerUnderlay, label: `${subject} ${name} z`, threshold: zThreshold, max: zMap.max, ...(fig.peak ? { peak: [fig.peak.x, fig.peak.y, fig.peak.z] } : {}) },
        files: (['z_score', 'stat', 'effect_size', 'effect_variance', 'p_value'] as const).map((o) => ({
          label: statLabel(o, statType),
          href: `first_level/${subject}/${subject}_contrast-${name}_stat-${statLabel(o, statType)}.nii.gz`,
        })),
      });
      byName.set(name, entry);
    }
    // Group maps share the space of the first level: the template, else the first subject's underlay.
    const groupUnderlay = await underlayFor(p.dataset.space, underlays.values().next().value ?? null);

    const group = await groupResults(p, many(inputs.nodes, 'groups'), many(inputs.nodes, 'corrections'), groupUnderlay, written, assets, mni);
    const roi: ReportRoi[] = many(inputs.nodes, 'rois').map((a, i) => {
      const m = a.meta as unknown as RoiMeta;
      const id = p.ids.rois?.[i] ?? '';
      const subject = id.split('/')[1] ?? '';
      const base = `roi/${subject}_contrast-${m.contrast}_roi`;
      return {
        contrast: m.contrast, subject, figure: { src: `${base}.png`, alt: `ROI effects ${subject} ${m.contrast}` },
        rows: m.rows.map((r) => ({ label: r.name, index: r.index ?? undefined, effect: r.effect, variance: r.variance, stat: r.stat, nVoxels: r.nVoxels })),
        file: { label: 'TSV', href: `${base}.tsv` },
      };
    });

    const singleTrial = await singleTrialResults(p.dir, many(inputs.nodes, 'singleTrials'), p.ids.singleTrials ?? [], written);
    const subjects = new Map<string, string[]>();
    for (const d of p.designs) (subjects.get(d.subject) ?? subjects.set(d.subject, []).get(d.subject)!).push(d.run);
    // the registry imports this module: load it when running, not at import time
    const { registry } = await import('./index.js');
    const nodes: ReportNode[] = [];
    for (const [input, ids] of Object.entries(p.ids)) {
      const keys = inputs.keys[input];
      const list = Array.isArray(keys) ? keys : [keys];
      ids.forEach((id, i) => {
        const type = id.split('/')[0];
        nodes.push({ id, type, key: list[i] ?? '', ...(registry[type] ? { version: registry[type].version } : {}) });
      });
    }
    const viewer = await assets.finish();
    if (viewer) written.push(...viewer.files);
    const model: ReportModel = {
      spec: { name: p.name, hash: p.specHash, ...(p.specPath ? { path: p.specPath } : {}) },
      glmflowVersion: p.version,
      dataset: p.dataset,
      subjects: [...subjects].map(([label, runs]) => ({ label, runs })),
      parameters: p.parameters,
      designs: reportDesigns,
      contrasts: [...byName.values()],
      ...(group.length ? { group } : {}),
      ...(roi.length ? { roi } : {}),
      ...(singleTrial.length ? { singleTrial } : {}),
      provenance: { nodes, ...(p.specText !== undefined ? { specText: p.specText } : {}) },
      ...(viewer ? { viewer: { niivue: viewer.niivue, script: viewer.script } } : {}),
      warnings: designs.flatMap((d) => (d.meta as unknown as DesignMeta).warnings ?? []),
    };
    const htmlPath = join(p.dir, 'report.html');
    written.push(await writeFileAtomic(htmlPath, [Buffer.from(renderReport(model))]));
    return { meta: { files: written } as any, arrays: {} };
  },
  outputsProblem,
};
