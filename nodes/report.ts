import { join } from 'node:path';
import type { Artifact, NodeDefinition } from '../src/engine/types.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { renderStatMap } from '../src/plot/stat-map.js';
import { renderReport } from '../src/report/html.js';
import type { ReportContrast, ReportDesign, ReportGroupResult, ReportModel, ReportNode, ReportRoi, ReportSingleTrial } from '../src/report/model.js';
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
  /** Node ids parallel to the inputs, for provenance. */
  ids: Record<string, string[]>;
}

/** Group maps (figure and peak per test) with their corrections and cluster tables. */
async function groupResults(dir: string, groups: Artifact[], corrections: Artifact[], written: WrittenFile[]): Promise<ReportGroupResult[]> {
  const out: ReportGroupResult[] = [];
  for (const g of groups) {
    const meta = g.meta as unknown as GroupMeta;
    const indices = g.arrays.indices as Int32Array;
    const grid: MaskMeta = { dims: meta.dims, affine: meta.affine, nVoxels: indices.length, source: 'group' };
    for (const [i, test] of meta.tests.entries()) {
      const z = unmask(g.arrays[`t${i}.z_score`] as Float32Array, indices, grid);
      // no background image: the map's own extent (the group mask) is drawn as a silhouette
      const fig = renderStatMap(z, null, meta.dims, meta.affine, { threshold: 3.1, title: `group ${test.label} (z > 3.1, uncorrected)` });
      const src = `figures/group_contrast-${test.label}_stat-z.png`;
      written.push(await writeFileAtomic(join(dir, src), [fig.png]));
      const mine = corrections.map((c) => c.meta as unknown as CorrectMeta).filter((c) => c.test === test.label);
      const withClusters = mine.find((c) => c.method === 'cluster') ?? mine.find((c) => c.clusters.length) ?? mine[0];
      out.push({
        name: test.label,
        definition: `${meta.contrast}: ${meta.columns.map((c, j) => (test.weights[j] ? `${test.weights[j]}*${c}` : '')).filter(Boolean).join(' + ')}`,
        nSubjects: meta.subjects.length,
        figure: { src, alt: `group z map ${test.label}` },
        peak: fig.peak ? { x: fig.peak.mm[0], y: fig.peak.mm[1], z: fig.peak.mm[2], value: fig.peak.value, stat: 'z' } : undefined,
        corrections: mine.map((c) => ({
          method: c.label,
          detail: `alpha ${c.alpha}${c.twoSided ? ', two-sided' : ', one-sided'}${c.clusterThreshold ? `, clusters >= ${c.clusterThreshold} voxels` : ''}`,
          threshold: c.threshold ?? undefined,
          nSignificant: c.nSignificant,
          file: { label: 'map', href: `group_level/group_contrast-${test.label}_stat-z_${c.label}-corrected.nii.gz` },
        })),
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
  version: '2',
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

    const byName = new Map<string, ReportContrast>();
    for (const [i, c] of contrasts.entries()) {
      const { subject, name, definition } = p.contrasts[i];
      const maskArt = maskOf.get(subject)!;
      const mask = maskArt.meta as unknown as MaskMeta;
      const indices = maskArt.arrays.indices as Int32Array;
      const statType = (c.meta as { statType: 't' | 'F' }).statType;
      const z = unmask(c.arrays.z_score as Float32Array, indices, mask);
      const fig = renderStatMap(z, null, mask.dims, mask.affine, { threshold: 3.1, title: `${subject} ${name} (z > 3.1)` });
      const src = `figures/${subject}_contrast-${name}_stat-z.png`;
      written.push(await writeFileAtomic(join(p.dir, src), [fig.png]));
      const entry = byName.get(name) ?? { name, definition, statType, maps: [] };
      entry.maps.push({
        subject,
        figure: { src, alt: `${name} z map of ${subject}` },
        peak: fig.peak ? { x: fig.peak.mm[0], y: fig.peak.mm[1], z: fig.peak.mm[2], value: fig.peak.value, stat: 'z' } : undefined,
        files: (['z_score', 'stat', 'effect_size', 'effect_variance', 'p_value'] as const).map((o) => ({
          label: statLabel(o, statType),
          href: `first_level/${subject}/${subject}_contrast-${name}_stat-${statLabel(o, statType)}.nii.gz`,
        })),
      });
      byName.set(name, entry);
    }

    const group = await groupResults(p.dir, many(inputs.nodes, 'groups'), many(inputs.nodes, 'corrections'), written);
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
