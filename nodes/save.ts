import { join } from 'node:path';
import type { Artifact, ArraySelection, NodeDefinition, NodeInputs } from '../src/engine/types.js';
import { writeNifti } from '../src/io/nifti-write.js';
import { writeTsv } from '../src/io/tsv.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { plotDesignMatrix } from '../src/plot/design-plot.js';
import { many, single, type DesignMeta, type MaskMeta } from './lib/artifacts.js';
import { outputsProblem, type WrittenFile } from './lib/outputs.js';
import { statLabel, unmask } from './lib/maps.js';
import { plotRoiValues } from '../src/plot/roi-plot.js';
import { plotDesignCorrelation } from '../src/plot/design-corr-plot.js';
import { plotContrastMatrix, type ContrastMatrixRow } from '../src/plot/contrast-plot.js';
import { contrastMatrixFor } from '../src/pipeline/contrast-definition.js';
import type { GroupMeta } from './group.js';
import type { CorrectMeta } from './correct.js';
import type { RoiMeta, RoiSignalsMeta } from './roi.js';
import { saveBetaSeries, type BetaSeriesSaveParams } from './lib/betaseries-save.js';
import type { RoiImageFiles } from '../src/pipeline/roi-images.js';

type SaveParams =
  | { kind: 'contrast'; dir: string; prefix: string; contrast: string; outputs: string[] }
  | { kind: 'design'; dir: string; subject: string; runs: string[] }
  | { kind: 'contrast-matrix'; dir: string; prefix: string; contrast: string; definition: string | number[] | number[][]; runs: string[] }
  | { kind: 'dataset'; dir: string; name: string; specHash: string; version?: string }
  | { kind: 'group'; dir: string; contrast: string; labels: string[]; outputs: string[] }
  | { kind: 'correction'; dir: string; label: string; method: string; primary: boolean }
  | { kind: 'roi'; dir: string; prefix: string; contrast: string }
  | { kind: 'rsquare'; dir: string; prefix: string }
  | { kind: 'residuals'; dir: string; prefix: string; t_r: number; series: boolean }
  | { kind: 'roi-signals'; dir: string; prefix: string; names: Record<string, string> }
  | BetaSeriesSaveParams;

/** Full-precision number formatting for TSV outputs (shortest round-trip repr). */
const num = (x: number) => (Number.isFinite(x) ? String(x) : 'n/a');

async function saveContrast(p: Extract<SaveParams, { kind: 'contrast' }>, inputs: Record<string, Artifact | Artifact[]>): Promise<WrittenFile[]> {
  const c = single(inputs, 'contrast');
  const maskArt = single(inputs, 'mask');
  const mask = maskArt.meta as unknown as MaskMeta;
  const indices = maskArt.arrays.indices as Int32Array;
  const statType = (c.meta as { statType: 't' | 'F' }).statType;
  const written: WrittenFile[] = [];
  for (const output of p.outputs) {
    const values = c.arrays[output];
    if (!values) throw new Error(`contrast ${p.contrast} has no ${output} map`);
    const path = join(p.dir, `${p.prefix}_contrast-${p.contrast}_stat-${statLabel(output, statType)}.nii.gz`);
    // an F contrast's effect_size has one row per contrast row: a 4D map of that many volumes, as nilearn's
    const volumes = indices.length ? values.length / indices.length : 1;
    if (!Number.isInteger(volumes) || volumes < 1) throw new Error(`contrast ${p.contrast} ${output}: ${values.length} values for ${indices.length} voxels`);
    const [nx, ny, nz] = mask.dims;
    const nxyz = nx * ny * nz;
    const data = new Float32Array(nxyz * volumes);
    for (let k = 0; k < volumes; k++) data.set(unmask(values.subarray(k * indices.length, (k + 1) * indices.length), indices, mask), k * nxyz);
    written.push(await writeNifti(path, { dims: volumes > 1 ? [nx, ny, nz, volumes] : mask.dims, affine: mask.affine, data, description: `glmflow ${output} ${p.contrast}` }));
  }
  return written;
}

async function saveDesign(p: Extract<SaveParams, { kind: 'design' }>, inputs: Record<string, Artifact | Artifact[]>): Promise<WrittenFile[]> {
  const written: WrittenFile[] = [];
  const designs = many(inputs, 'designs');
  for (const [i, d] of designs.entries()) {
    const m = d.meta as unknown as DesignMeta;
    const matrix = d.arrays.matrix as Float64Array;
    const p2 = m.columns.length;
    const rows: number[][] = [];
    for (let r = 0; r < m.nScans; r++) rows.push(Array.from(matrix.subarray(r * p2, (r + 1) * p2)));
    const tsv = join(p.dir, `${p.runs[i]}_design.tsv`);
    written.push(await writeTsv(tsv, m.columns, rows.map((r) => r.map(num))));
    const png = join(p.dir, `${p.runs[i]}_design.png`);
    written.push(await writeFileAtomic(png, [plotDesignMatrix(m.columns, { rows: m.nScans, cols: p2, data: matrix }, { title: `${p.runs[i]} design matrix` })]));
    written.push(...(await saveDesignCorrelation(join(p.dir, `${p.runs[i]}_design-corr`), m, d.arrays.correlation as Float64Array, p.runs[i])));
  }
  const maskArt = single(inputs, 'mask');
  const mask = maskArt.meta as unknown as MaskMeta;
  const ones = new Float32Array((maskArt.arrays.indices as Int32Array).length).fill(1);
  const maskPath = join(p.dir, `${p.subject}_mask.nii.gz`);
  written.push(await writeNifti(maskPath, { dims: mask.dims, affine: mask.affine, data: unmask(ones, maskArt.arrays.indices as Int32Array, mask) }));
  return written;
}

/**
 * One run's design correlation (SPEC `…_run-N_design-corr.tsv` and `.png`): the p x p Pearson
 * correlation of the design columns over the modelled scans, a row name column then one column
 * per regressor, 'n/a' where undefined (the constant); the figure leaves out constant and drifts.
 */
async function saveDesignCorrelation(base: string, m: DesignMeta, correlation: Float64Array, title: string): Promise<WrittenFile[]> {
  const p = m.columns.length;
  if (!correlation || correlation.length !== p * p) throw new Error(`the design of ${title} carries no ${p} x ${p} correlation matrix`);
  const rows = m.columns.map((name, i) => [name, ...Array.from(correlation.subarray(i * p, (i + 1) * p), num)]);
  const tsv = await writeTsv(`${base}.tsv`, ['regressor', ...m.columns], rows);
  const fig = plotDesignCorrelation(m.columns, correlation, { title: `${title} design correlation`, threshold: m.collinearity?.correlationThreshold });
  return [tsv, await writeFileAtomic(`${base}.png`, [fig.png])];
}

/**
 * The contrast matrix figure of one subject (SPEC `…_contrast-NAME_matrix.png`, as nilearn's
 * plot_contrast_matrix). Runs whose designs give the same columns and weights share one block
 * of rows; otherwise each run gets its rows (labelled with the run) over the union of columns.
 */
async function saveContrastMatrix(p: Extract<SaveParams, { kind: 'contrast-matrix' }>, inputs: Record<string, Artifact | Artifact[]>): Promise<WrittenFile[]> {
  const designs = many(inputs, 'designs').map((d) => (d.meta as unknown as DesignMeta).columns);
  const defs = designs.map((columns) => ({ columns, ...contrastMatrixFor(p.definition, columns) }));
  const key = (d: (typeof defs)[number]) => JSON.stringify([d.columns, d.rows.map((r) => Array.from(r))]);
  const same = defs.every((d) => key(d) === key(defs[0]));
  const rowName = (k: number, q: number) => (q === 1 ? (typeof p.definition === 'string' ? p.definition : p.contrast) : `row ${k + 1}`);
  let columns: string[];
  const rows: ContrastMatrixRow[] = [];
  if (same) {
    columns = defs[0].columns;
    defs[0].rows.forEach((w, k) => rows.push({ label: rowName(k, defs[0].rows.length), weights: w }));
  } else {
    // union of the runs' columns, a run's extra column placed after its left neighbour
    columns = [];
    for (const d of defs) {
      d.columns.forEach((c, j) => {
        if (!columns.includes(c)) columns.splice(j === 0 ? 0 : columns.indexOf(d.columns[j - 1]) + 1, 0, c);
      });
    }
    defs.forEach((d, i) => d.rows.forEach((w, k) => {
      const weights = new Float64Array(columns.length);
      d.columns.forEach((c, j) => (weights[columns.indexOf(c)] = w[j]));
      rows.push({ label: d.rows.length === 1 ? p.runs[i] : `${p.runs[i]} row ${k + 1}`, weights });
    }));
  }
  const def = typeof p.definition === 'string' ? p.definition : JSON.stringify(p.definition);
  const png = plotContrastMatrix(columns, rows, { title: `${p.prefix} contrast ${p.contrast}${def === p.contrast ? '' : `: ${def}`}` });
  return [await writeFileAtomic(join(p.dir, `${p.prefix}_contrast-${p.contrast}_matrix.png`), [png])];
}

async function saveDataset(p: Extract<SaveParams, { kind: 'dataset' }>): Promise<WrittenFile[]> {
  const path = join(p.dir, 'dataset_description.json');
  const doc = {
    Name: p.name,
    BIDSVersion: '1.9.0',
    DatasetType: 'derivative',
    GeneratedBy: [{ Name: 'glmflow', Version: p.version ?? '0.1.0', Description: `spec hash ${p.specHash}` }],
  };
  return [await writeFileAtomic(path, [Buffer.from(JSON.stringify(doc, null, 2) + '\n')])];
}

async function saveGroup(p: Extract<SaveParams, { kind: 'group' }>, inputs: Record<string, Artifact | Artifact[]>): Promise<WrittenFile[]> {
  const g = single(inputs, 'group');
  const meta = g.meta as unknown as GroupMeta;
  const indices = g.arrays.indices as Int32Array;
  const grid: MaskMeta = { dims: meta.dims, affine: meta.affine, nVoxels: indices.length, source: 'group' };
  const written: WrittenFile[] = [];
  for (const [i, label] of p.labels.entries()) {
    for (const output of p.outputs) {
      const path = join(p.dir, `group_contrast-${label}_stat-${statLabel(output, 't')}.nii.gz`);
      written.push(await writeNifti(path, { dims: meta.dims, affine: meta.affine, data: unmask(g.arrays[`t${i}.${output}`] as Float32Array, indices, grid) }));
    }
  }
  const maskPath = join(p.dir, `group_contrast-${p.contrast}_mask.nii.gz`);
  written.push(await writeNifti(maskPath, { dims: meta.dims, affine: meta.affine, data: unmask(new Float32Array(indices.length).fill(1), indices, grid) }));
  const design = join(p.dir, `group_contrast-${p.contrast}_design.tsv`);
  written.push(await writeTsv(design, ['participant_id', ...meta.columns], meta.design.map((row, s) => [meta.subjects[s], ...row.map(num)])));
  return written;
}

async function saveCorrection(p: Extract<SaveParams, { kind: 'correction' }>, inputs: Record<string, Artifact | Artifact[]>): Promise<WrittenFile[]> {
  const c = single(inputs, 'correct');
  const g = single(inputs, 'group');
  const meta = c.meta as unknown as CorrectMeta;
  const grid = g.meta as unknown as GroupMeta;
  const written: WrittenFile[] = [];
  const base = join(p.dir, `group_contrast-${p.label}`);
  const mapPath = `${base}_stat-z_${p.method}-corrected.nii.gz`;
  written.push(await writeNifti(mapPath, { dims: grid.dims, affine: grid.affine, data: c.arrays.corrected as Float32Array }));
  for (const name of meta.logpMaps) {
    const path = `${base}_stat-logp_${p.method}-${name}.nii.gz`;
    written.push(await writeNifti(path, { dims: grid.dims, affine: grid.affine, data: c.arrays[`logp_${name}`] as Float32Array, description: '-log10 FWE p' }));
  }
  const sidecar = `${base}_stat-z_${p.method}-corrected.json`;
  written.push(await writeFileAtomic(sidecar, [Buffer.from(JSON.stringify({
    Method: meta.method, Alpha: meta.alpha, TwoSided: meta.twoSided, ClusterThreshold: meta.clusterThreshold,
    Threshold: meta.threshold, ...(meta.threshold === null && meta.method !== 'permutation' ? { Note: 'no voxel passes the correction' } : {}),
    SignificantVoxels: meta.nSignificant, ...(meta.logpMaps.length ? { LogpMaps: meta.logpMaps } : {}),
  }, null, 2) + '\n')]));
  const tables = [`${base}_desc-${p.method}_clusters.tsv`, ...(p.primary ? [`${base}_clusters.tsv`] : [])];
  const columns = ['Cluster ID', 'X', 'Y', 'Z', 'Peak Stat', 'Cluster Size (mm3)', ...(meta.clusters.some((r) => r.label !== undefined) ? ['Label'] : [])];
  const rows = meta.clusters.map((r) => [r.clusterId, num(r.x), num(r.y), num(r.z), num(r.peakStat), r.clusterSizeMm3 === '' ? '' : num(r.clusterSizeMm3), ...(columns.length > 6 ? [r.label ?? ''] : [])]);
  for (const t of tables) {
    written.push(await writeTsv(t, columns, rows));
  }
  return written;
}

async function saveRoi(p: Extract<SaveParams, { kind: 'roi' }>, inputs: Record<string, Artifact | Artifact[]>): Promise<WrittenFile[]> {
  const r = single(inputs, 'roi');
  const rows = (r.meta as unknown as RoiMeta).rows;
  const base = join(p.dir, `${p.prefix}_contrast-${p.contrast}_roi`);
  const columns = ['index', 'name', 'n_voxels', 'effect', 'variance', 'stat', 'z_score', 'p_value', 'map_mean'];
  const tsv = await writeTsv(`${base}.tsv`, columns, rows.map((x) => [x.index ?? 'n/a', x.name, x.nVoxels, num(x.effect), num(x.variance), num(x.stat), num(x.z), num(x.p), num(x.mapMean)]));
  const png = await writeFileAtomic(`${base}.png`, [plotRoiValues(rows.map((x) => ({ name: x.name, effect: x.effect, variance: x.variance })), { title: `${p.prefix} ${p.contrast}: ROI effect sizes (± 1 SE)`, ylabel: 'effect size', xlabel: 'region' })]);
  return [tsv, png];
}

/** The arrays a map of one run needs from its fit (input 'fit', streamed: see `save`). */
async function fitArrays(inputs: NodeInputs, select: ArraySelection): Promise<Artifact> {
  const [load] = inputs.lazy.fit ?? [];
  if (!load) throw new Error("save: no input 'fit'");
  return load(select);
}

/** nilearn's r_square map of one run (variance of the fitted signal over that of the data). */
async function saveRSquare(p: Extract<SaveParams, { kind: 'rsquare' }>, inputs: NodeInputs): Promise<WrittenFile[]> {
  const fit = await fitArrays(inputs, { rSquare: true });
  const maskArt = single(inputs.nodes, 'mask');
  const mask = maskArt.meta as unknown as MaskMeta;
  const path = join(p.dir, `${p.prefix}_stat-rsquare.nii.gz`);
  return [await writeNifti(path, { dims: mask.dims, affine: mask.affine, data: unmask(fit.arrays.rSquare as Float64Array, maskArt.arrays.indices as Int32Array, mask) })];
}

/**
 * One run's residual diagnostics (SPEC): `<prefix>_stat-residvar.nii.gz`, the variance over time
 * of nilearn's residuals, and with save_residuals `<prefix>_stat-errorts.nii.gz`, the residual
 * series (4D, one volume per modelled scan: censored scans are not in it, as in nilearn).
 */
async function saveResiduals(p: Extract<SaveParams, { kind: 'residuals' }>, inputs: NodeInputs): Promise<WrittenFile[]> {
  const fit = await fitArrays(inputs, p.series ? { residvar: true, errorts: true } : { residvar: true });
  const maskArt = single(inputs.nodes, 'mask');
  const mask = maskArt.meta as unknown as MaskMeta;
  const indices = maskArt.arrays.indices as Int32Array;
  const residvar = fit.arrays.residvar as Float64Array | undefined;
  if (!residvar) throw new Error(`the fit of ${p.prefix} has no residual variance`);
  const written: WrittenFile[] = [];
  const varPath = join(p.dir, `${p.prefix}_stat-residvar.nii.gz`);
  written.push(await writeNifti(varPath, { dims: mask.dims, affine: mask.affine, data: unmask(residvar, indices, mask), description: 'glmflow residual variance (ddof 0)' }));
  if (p.series) {
    const series = fit.arrays.errorts as Float32Array | undefined;
    if (!series) throw new Error(`the fit of ${p.prefix} kept no residual series (save_residuals)`);
    const nm = indices.length;
    const nt = nm === 0 ? 0 : series.length / nm;
    const [nx, ny, nz] = mask.dims;
    // one volume at a time (160 volumes on the 2 mm grid are 0.6 GB as one array)
    const volume = (t: number) => unmask(series.subarray(t * nm, (t + 1) * nm), indices, mask);
    const path = join(p.dir, `${p.prefix}_stat-errorts.nii.gz`);
    written.push(await writeNifti(path, { dims: [nx, ny, nz, nt], affine: mask.affine, volume, pixdim: [0, 0, 0, p.t_r], description: 'glmflow residuals' }));
  }
  return written;
}

/** One run's ROI time series (one column per atlas label, named from the labels TSV, then one per mask). */
async function saveRoiSignals(p: Extract<SaveParams, { kind: 'roi-signals' }>, inputs: Record<string, Artifact | Artifact[]>): Promise<WrittenFile[]> {
  const a = single(inputs, 'signals');
  const m = a.meta as unknown as RoiSignalsMeta;
  const data = a.arrays.cleaned as Float64Array;
  const columns = [...m.labels.map((l) => p.names[String(l)] ?? String(l)), ...(m.masks ?? [])];
  const L = columns.length;
  const rows: string[][] = [];
  for (let t = 0; t < m.nScans; t++) rows.push(Array.from(data.subarray(t * L, (t + 1) * L), num));
  const path = join(p.dir, `${p.prefix}_timeseries.tsv`);
  return [await writeTsv(path, columns, rows)];
}

/** save: writes outputs under the BIDS-derivatives layout; each file appears whole or not at all. */
export const save: NodeDefinition<SaveParams> = {
  type: 'save',
  // 3: design correlation TSV/PNG beside each design, contrast matrix figures, canvas figures
  version: '3',
  description: 'write maps, design matrices and dataset_description.json to the output folder',
  // a fit is ~40 MB, of which a residual or R² map needs one array
  streamedInputs: ['fit'],
  async run(_ctx, params, inputs) {
    const files =
      params.kind === 'contrast' ? await saveContrast(params, inputs.nodes)
      : params.kind === 'design' ? await saveDesign(params, inputs.nodes)
      : params.kind === 'contrast-matrix' ? await saveContrastMatrix(params, inputs.nodes)
      : params.kind === 'group' ? await saveGroup(params, inputs.nodes)
      : params.kind === 'correction' ? await saveCorrection(params, inputs.nodes)
      : params.kind === 'roi' ? await saveRoi(params, inputs.nodes)
      : params.kind === 'rsquare' ? await saveRSquare(params, inputs)
      : params.kind === 'residuals' ? await saveResiduals(params, inputs)
      : params.kind === 'roi-signals' ? await saveRoiSignals(params, inputs.nodes)
      : params.kind === 'betaseries' ? await saveBetaSeries(params, inputs.nodes, inputs.files as RoiImageFiles)
      : await saveDataset(params);
    return { meta: { files } as any, arrays: {} };
  },
  outputsProblem,
};
