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
import { artifactUnderlay, DEFAULT_Z_THRESHOLD, thresholdText, underlayFor, writeStatFigures } from './lib/stat-figures.js';
import type { Underlay } from '../src/plot/underlay.js';
import type { ReportCorrection } from '../src/report/model.js';

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
async function groupResults(p: ReportParams, groups: Artifact[], corrections: Artifact[], underlay: Underlay | null, written: WrittenFile[]): Promise<ReportGroupResult[]> {
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
        ...(figs.has(c.label) && figs.get(c.label)![0] !== main!.ortho ? { figures: figs.get(c.label) } : {}),
      }));
      out.push({
        name: test.label,
        definition: `${meta.contrast}: ${meta.columns.map((c, j) => (test.weights[j] ? `${test.weights[j]}*${c}` : '')).filter(Boolean).join(' + ')}`,
        nSubjects: meta.subjects.length,
        figure: main!.ortho,
        views: main!.views,
        peak: main!.peak,
        corrections: corrList,
        clusters: withClusters
          ? { columns: ['Cluster ID', 'X', 'Y', 'Z', 'Peak Stat', 'Cluster Size (mm3)'], rows: withClusters.clusters.map((r) => [r.clusterId, r.x, r.y, r.z, r.peakStat, r.clusterSizeMm3 === '' ? null : r.clusterSizeMm3]) }
          : undefined,
        files: ['z', 't', 'effect', 'variance', 'p'].map((s) => ({ label: s, href: `group_level/group_contrast-${test.label}_stat-${s}.nii.gz` })),
      });
    }
  }
  return out;
}

/**
 * The run's trial design: LSA's own; for LSS (one node per condition, each with the design
 * of its condition's trials split) the first node's design with each other node's condition
 * column replaced by that node's trial columns, i.e. every selected trial split.
 */
export function trialDesign(parts: Artifact[]): { columns: string[]; data: Float64Array } {
  const designs = parts.map((a) => ({ meta: a.meta as unknown as SingleTrialMeta, data: a.arrays.design as Float64Array }));
  const base = designs[0];
  const p0 = base.meta.designColumns.length;
  const n = base.data.length / p0;
  // [design, column] of every output column, in the first design's order
  const sources: [number, number][] = [];
  base.meta.designColumns.forEach((c, j) => {
    const other = designs.findIndex((d, i) => i > 0 && d.meta.conditions.includes(c));
    if (other < 0) return void sources.push([0, j]);
    const names = new Set(designs[other].meta.trials.map((t) => t.name));
    designs[other].meta.designColumns.forEach((name, k) => names.has(name) && sources.push([other, k]));
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
  for (const { subject, run, parts } of byRun.values()) {
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
      design: { src: designSrc, alt: `${first.method.toUpperCase()} trial design ${subject} ${first.run}`, caption: first.method === 'lsa' ? 'LSA design: one regressor per trial' : `LSS trial design: one column per trial of ${parts.flatMap((a) => (a.meta as unknown as SingleTrialMeta).conditions).join(', ')} (each trial's model uses its column, the other trials of its condition summed)` },
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
  version: '3',
  description: 'HTML report with design matrices, stat maps and provenance',
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
      return { subject, run, columns: m.columns, nScans: m.nScans, figure: { src: `${base}.png`, alt: `design matrix ${prefix}` }, tsv: `${base}.tsv` };
    });

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
      const entry = byName.get(name) ?? { name, definition, statType, maps: [] };
      entry.maps.push({
        subject,
        figure: fig.ortho,
        views: fig.views,
        peak: fig.peak,
        files: (['z_score', 'stat', 'effect_size', 'effect_variance', 'p_value'] as const).map((o) => ({
          label: statLabel(o, statType),
          href: `first_level/${subject}/${subject}_contrast-${name}_stat-${statLabel(o, statType)}.nii.gz`,
        })),
      });
      byName.set(name, entry);
    }
    // Group maps share the space of the first level: the template, else the first subject's underlay.
    const groupUnderlay = await underlayFor(p.dataset.space, underlays.values().next().value ?? null);

    const group = await groupResults(p, many(inputs.nodes, 'groups'), many(inputs.nodes, 'corrections'), groupUnderlay, written);
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
    const nodes: ReportNode[] = [];
    for (const [input, ids] of Object.entries(p.ids)) {
      const keys = inputs.keys[input];
      const list = Array.isArray(keys) ? keys : [keys];
      ids.forEach((id, i) => nodes.push({ id, type: id.split('/')[0], key: list[i] ?? '', status: 'computed' }));
    }
    const model: ReportModel = {
      spec: { name: p.name, hash: p.specHash },
      glmflowVersion: p.version,
      dataset: p.dataset,
      subjects: [...subjects].map(([label, runs]) => ({ label, runs })),
      parameters: p.parameters,
      designs: reportDesigns,
      contrasts: [...byName.values()],
      ...(group.length ? { group } : {}),
      ...(roi.length ? { roi } : {}),
      ...(singleTrial.length ? { singleTrial } : {}),
      provenance: { nodes },
      warnings: designs.flatMap((d) => (d.meta as unknown as DesignMeta).warnings ?? []),
    };
    const htmlPath = join(p.dir, 'report.html');
    written.push(await writeFileAtomic(htmlPath, [Buffer.from(renderReport(model))]));
    return { meta: { files: written } as any, arrays: {} };
  },
  outputsProblem,
};
