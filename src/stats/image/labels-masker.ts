/**
 * ROI signals from a labels image: nilearn 0.10.4 `NiftiLabelsMasker(strategy='mean')
 * .fit_transform(img, confounds)` = `regions.img_to_signals_labels` followed by `signal.clean`
 * (no temporal filtering, no sample mask, one run).
 *
 * img_to_signals_labels: labels = sorted unique values of the labels image minus the
 * background (0); the non-finite data values are set to 0 (safe_get_data ensure_finite); each
 * signal is scipy.ndimage.mean per volume (a float64 sum over the region divided by its voxel
 * count) stored in the data's dtype (float32 for float32 images); a label left without voxels
 * by the mask gets an all-zero signal (keep_masked_labels=True, the 0.10.4 default).
 *
 * signal.clean with the masker's defaults (detrend=False, standardize=False,
 * standardize_confounds=True):
 *   1. if detrend: signals and confounds lose their mean and linear trend;
 *   2. confounds are z-scored with the population std (standardize_signal(..., True)), or, with
 *      standardize_confounds=False, divided by their max |value| (columns of zeros left alone);
 *   3. Q = pivoted Householder QR of the confounds, keeping the columns with |R_kk| > 100 eps;
 *      signals -= Q Q^T signals. Because the confounds are centred, the signals' constant part
 *      survives this projection;
 *   4. standardize: 'zscore_sample' (ddof 1), 'zscore' (ddof 0), 'psc' (100 (x - m) / |m|;
 *      re-adding the original means first when the cleaning removed them), std < eps -> 1.
 * Arithmetic: float64, or — `precision: 'float32'`, the default for float32 images — with
 * nilearn's float32 roundings reproduced (see CleanOptions.precision); that matters at the
 * 1e-3 level for z-scored signals with a large mean.
 */
import type { Mat } from '../core/matrix.js';

const EPS = 2.220446049250313e-16; // np.finfo(np.float64).eps

export type Standardize = false | 'zscore_sample' | 'zscore' | 'psc';

export interface CleanOptions {
  /** Remove mean and linear trend from signals and confounds (masker default false). */
  detrend?: boolean;
  standardize?: Standardize;
  /** Confound time series, one Float64Array of n_scans values per confound. */
  confounds?: readonly ArrayLike<number>[];
  /** z-score the confounds before regressing them out (default true). */
  standardizeConfounds?: boolean;
  /**
   * Arithmetic of the signal array. nilearn keeps float32 signals (from float32 images) in
   * float32: the confound-cleaned signals are rounded to float32 and the mean / std of the
   * standardization are accumulated in float32, row after row (numpy's axis-0 reduction of a
   * C-ordered array), which moves z-scores by up to ~1e-3 when the signals carry a large mean.
   * 'float32' reproduces those roundings; 'float64' (default of cleanSignals) is exact
   * arithmetic. The confounds are always float64 (as in nilearn).
   */
  precision?: 'float32' | 'float64';
}

export interface LabelSignalsOptions extends CleanOptions {
  /** Only voxels inside this mask are used (others count as background). */
  mask?: Uint8Array;
  /** Label value meaning "no region" (default 0). */
  backgroundLabel?: number;
  /**
   * Precision of the region signals, as nilearn stores them: 'float32' when the image data is
   * float32 in nibabel (an unscaled float32 file), 'float64' otherwise (integer or scaled
   * files). Default 'float32'. Also the default `precision` of the cleaning step.
   */
  signalPrecision?: 'float32' | 'float64';
}

export interface LabelSignals {
  /** Region labels, ascending; column j of `signals` belongs to labels[j]. */
  labels: number[];
  /** Voxel count of each region (after the mask). */
  voxelCounts: number[];
  /** n_scans x n_labels, row-major. */
  signals: Mat;
}

/** Sorted unique labels of a labels volume, without the background; NaN/inf count as 0. */
export function uniqueLabels(labels: ArrayLike<number>, backgroundLabel = 0): number[] {
  const set = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    const v = Number.isFinite(labels[i]) ? labels[i] : 0;
    set.add(v === 0 ? 0 : v); // fold -0 into 0
  }
  set.delete(backgroundLabel);
  return Array.from(set).sort((a, b) => a - b);
}

export interface RegionMeanOptions {
  /** Only voxels inside this mask are used (others count as background). */
  mask?: Uint8Array;
  /** Label value meaning "no region" (default 0). */
  backgroundLabel?: number;
  /** 'float32' (default) rounds each mean to float32, as nilearn stores float32 signals. */
  signalPrecision?: 'float32' | 'float64';
}

/**
 * The region of every voxel of a labels volume, to average volume after volume (one volume
 * at a time, so a run can be streamed instead of held whole): the arithmetic of
 * img_to_signals_labels per volume (a float64 sum in voxel order, divided by the count).
 */
export class RegionMeanAccumulator {
  /** Region labels, ascending (column order of the means). */
  readonly labels: number[];
  /** Voxel count of each region (after the mask). */
  readonly voxelCounts: number[];
  readonly nVoxels: number;
  private readonly region: Int32Array;
  private readonly counts: Float64Array;
  private readonly sums: Float64Array;
  private readonly f32: boolean;

  constructor(labels: ArrayLike<number>, opts: RegionMeanOptions = {}) {
    const nvox = labels.length;
    if (opts.mask && opts.mask.length !== nvox) throw new Error(`mask has ${opts.mask.length} voxels, the labels image ${nvox}`);
    const labelList = uniqueLabels(labels, opts.backgroundLabel ?? 0);
    const index = new Map<number, number>();
    labelList.forEach((l, j) => index.set(l, j));
    // Region index of each voxel (-1: background or masked out).
    const region = new Int32Array(nvox).fill(-1);
    const counts = new Float64Array(labelList.length);
    for (let i = 0; i < nvox; i++) {
      if (opts.mask && !opts.mask[i]) continue;
      const v = Number.isFinite(labels[i]) ? labels[i] : 0;
      const j = index.get(v === 0 ? 0 : v);
      if (j === undefined) continue;
      region[i] = j;
      counts[j]++;
    }
    this.labels = labelList;
    this.voxelCounts = Array.from(counts);
    this.nVoxels = nvox;
    this.region = region;
    this.counts = counts;
    this.sums = new Float64Array(labelList.length);
    this.f32 = (opts.signalPrecision ?? 'float32') === 'float32';
  }

  /** Means of the volume data[offset, offset + nVoxels) written to out[outOffset + j], one per region. */
  volumeMeans(data: ArrayLike<number>, offset: number, out: Float64Array, outOffset: number): void {
    const { region, sums, counts } = this;
    sums.fill(0);
    for (let i = 0; i < this.nVoxels; i++) {
      const j = region[i];
      if (j < 0) continue;
      const v = data[offset + i];
      if (Number.isFinite(v)) sums[j] += v; // non-finite -> 0 (ensure_finite)
    }
    for (let j = 0; j < sums.length; j++) {
      const m = counts[j] > 0 ? sums[j] / counts[j] : 0;
      out[outOffset + j] = this.f32 ? Math.fround(m) : m;
    }
  }
}

/**
 * Mean signal of every labelled region, per volume (nilearn img_to_signals_labels, 'mean').
 * Returns n_scans x n_labels row-major values (float64, rounded to float32 if requested).
 */
export function regionMeans(
  data: Float32Array | Float64Array,
  dims: readonly number[],
  labels: ArrayLike<number>,
  opts: RegionMeanOptions = {},
): LabelSignals {
  const nvox = dims[0] * dims[1] * dims[2];
  const nt = dims.length > 3 ? Math.max(1, dims[3]) : 1;
  if (labels.length !== nvox) throw new Error(`labels image has ${labels.length} voxels, data volumes have ${nvox}`);
  if (data.length !== nvox * nt) throw new Error(`data length ${data.length} does not match dims ${dims.join('x')}`);
  if (opts.mask && opts.mask.length !== nvox) throw new Error(`mask has ${opts.mask.length} voxels, data volumes have ${nvox}`);
  const acc = new RegionMeanAccumulator(labels, opts);
  const nl = acc.labels.length;
  const out = new Float64Array(nt * nl);
  for (let t = 0; t < nt; t++) acc.volumeMeans(data, t * nvox, out, t * nl);
  return { labels: acc.labels, voxelCounts: acc.voxelCounts, signals: { rows: nt, cols: nl, data: out } };
}

/** nilearn signal._detrend(type='linear') on the columns of a row-major n x k matrix, in place. */
function detrendColumns(a: Float64Array, n: number, k: number): void {
  if (n === 1) return;
  for (let j = 0; j < k; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += a[i * k + j];
    m /= n;
    for (let i = 0; i < n; i++) a[i * k + j] -= m;
  }
  const reg = new Float64Array(n);
  const rm = (n - 1) / 2;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    reg[i] = i - rm;
    ss += reg[i] * reg[i];
  }
  const sd = Math.sqrt(ss);
  if (!(sd < EPS)) for (let i = 0; i < n; i++) reg[i] /= sd;
  for (let j = 0; j < k; j++) {
    let d = 0;
    for (let i = 0; i < n; i++) d += reg[i] * a[i * k + j];
    for (let i = 0; i < n; i++) a[i * k + j] -= d * reg[i];
  }
}

/** nilearn signal.standardize_signal(detrend=False) on a row-major n x k matrix, in place. */
export function standardizeColumns(a: Float64Array, n: number, k: number, how: Standardize | true): void {
  if (!how || n === 1) return;
  const mode = how === true ? 'zscore' : how;
  for (let j = 0; j < k; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += a[i * k + j];
    m /= n;
    if (mode === 'psc') {
      const am = Math.abs(m);
      const invalid = am < EPS;
      for (let i = 0; i < n; i++) a[i * k + j] = invalid ? 0 : ((a[i * k + j] - m) / am) * 100;
      continue;
    }
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const d = a[i * k + j] - m;
      a[i * k + j] = d;
      ss += d * d;
    }
    let sd = Math.sqrt(ss / (mode === 'zscore_sample' ? n - 1 : n));
    if (sd < EPS) sd = 1;
    for (let i = 0; i < n; i++) a[i * k + j] /= sd;
  }
}

/**
 * float32 version of standardizeColumns, reproducing numpy on a C-ordered float32 array:
 * means and sums of squares accumulate row by row in float32, every elementwise result is
 * rounded to float32 (np.mean / np.std(ddof) / true_divide on float32 arrays).
 */
export function standardizeColumns32(a: Float64Array, n: number, k: number, how: Standardize | true): void {
  if (!how || n === 1) return;
  const f = Math.fround;
  const mode = how === true ? 'zscore' : how;
  const colMean = (get: (i: number) => number): number => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc = f(acc + get(i));
    return f(acc / n);
  };
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < n; i++) a[i * k + j] = f(a[i * k + j]);
    const m = colMean((i) => a[i * k + j]);
    if (mode === 'psc') {
      const am = Math.abs(m);
      const invalid = am < EPS;
      for (let i = 0; i < n; i++) a[i * k + j] = invalid ? 0 : f(f(f(a[i * k + j] - m) / am) * 100);
      continue;
    }
    for (let i = 0; i < n; i++) a[i * k + j] = f(a[i * k + j] - m);
    // np.std: re-centre on the mean of the centred data, square, sum, divide, sqrt.
    const m2 = colMean((i) => a[i * k + j]);
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const d = f(a[i * k + j] - m2);
      ss = f(ss + f(d * d));
    }
    let sd = f(Math.sqrt(f(ss / (mode === 'zscore_sample' ? n - 1 : n))));
    if (sd < EPS) sd = 1;
    for (let i = 0; i < n; i++) a[i * k + j] = f(a[i * k + j] / sd);
  }
}

/**
 * Orthonormal basis of the column space of a column-pivoted Householder QR (LAPACK geqp3
 * pivoting: the remaining column of largest norm first), keeping the columns whose |R_kk|
 * exceeds `tol` — nilearn's `Q[:, abs(diag(R)) > eps * 100]`. Input: row-major n x p.
 * Returns Q as row-major n x r. Written here because ml-matrix's QrDecomposition does not
 * pivot, and which columns are kept (nilearn's rule) depends on the pivoting order.
 */
export function pivotedQrBasis(x: Float64Array, n: number, p: number, tol = EPS * 100): Mat {
  const a = Float64Array.from(x);
  const kmax = Math.min(n, p);
  const vs: Float64Array[] = [];
  const betas: number[] = [];
  const keep: boolean[] = [];
  for (let k = 0; k < kmax; k++) {
    // Pivot: remaining column with the largest norm of rows k..n-1.
    let best = k;
    let bestNorm = -1;
    for (let j = k; j < p; j++) {
      let s = 0;
      for (let i = k; i < n; i++) s += a[i * p + j] * a[i * p + j];
      if (s > bestNorm) {
        bestNorm = s;
        best = j;
      }
    }
    if (best !== k) for (let i = 0; i < n; i++) {
      const t = a[i * p + k];
      a[i * p + k] = a[i * p + best];
      a[i * p + best] = t;
    }
    // Householder reflector for a[k:, k].
    const norm = Math.sqrt(bestNorm);
    const akk = a[k * p + k];
    const alpha = akk >= 0 ? -norm : norm;
    const v = new Float64Array(n - k);
    for (let i = k; i < n; i++) v[i - k] = a[i * p + k];
    v[0] -= alpha;
    let vn = 0;
    for (let i = 0; i < v.length; i++) vn += v[i] * v[i];
    const beta = vn > 0 ? 2 / vn : 0;
    vs.push(v);
    betas.push(beta);
    keep.push(norm > tol); // |R_kk| = norm of the pivot column
    // Apply to the remaining columns.
    for (let j = k; j < p; j++) {
      let d = 0;
      for (let i = k; i < n; i++) d += v[i - k] * a[i * p + j];
      d *= beta;
      for (let i = k; i < n; i++) a[i * p + j] -= d * v[i - k];
    }
  }
  const cols: number[] = [];
  keep.forEach((kp, k) => kp && cols.push(k));
  const r = cols.length;
  const q = new Float64Array(n * r);
  // Column c of Q = H_0 H_1 ... H_{kmax-1} e_{cols[c]}.
  const e = new Float64Array(n);
  cols.forEach((col, c) => {
    e.fill(0);
    e[col] = 1;
    for (let k = kmax - 1; k >= 0; k--) {
      const v = vs[k];
      let d = 0;
      for (let i = k; i < n; i++) d += v[i - k] * e[i];
      d *= betas[k];
      if (d !== 0) for (let i = k; i < n; i++) e[i] -= d * v[i - k];
    }
    for (let i = 0; i < n; i++) q[i * r + c] = e[i];
  });
  return { rows: n, cols: r, data: q };
}

/**
 * nilearn `signal.clean(signals, detrend, standardize, confounds, standardize_confounds)`
 * without filtering, sample mask or runs. `signals` is n_scans x n_series row-major; a new
 * matrix is returned.
 */
export function cleanSignals(signals: Mat, opts: CleanOptions = {}): Mat {
  const n = signals.rows;
  const k = signals.cols;
  const f32 = opts.precision === 'float32';
  const s = Float64Array.from(signals.data);
  if (f32) for (let i = 0; i < s.length; i++) s[i] = Math.fround(s[i]);
  const origMean = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) origMean[j] += s[i * k + j];
  for (let j = 0; j < k; j++) origMean[j] /= n;

  let conf: Float64Array | null = null;
  let p = 0;
  if (opts.confounds && opts.confounds.length > 0) {
    p = opts.confounds.length;
    const cm = new Float64Array(n * p);
    opts.confounds.forEach((col, c) => {
      if (col.length !== n) throw new Error(`confound ${c} has ${col.length} values, signals have ${n} scans`);
      for (let i = 0; i < n; i++) {
        const v = col[i];
        // scipy.linalg.qr(check_finite=True) refuses NaN / inf: nilearn fails the same way.
        if (!Number.isFinite(v)) throw new Error(`confound ${c} has a non-finite value at scan ${i}`);
        cm[i * p + c] = v;
      }
    });
    conf = cm;
  }
  if (opts.detrend) {
    // (float32 mode: detrended in float64 and rounded once; numpy's float32 BLAS order is
    // not reproduced.)
    detrendColumns(s, n, k);
    if (f32) for (let i = 0; i < s.length; i++) s[i] = Math.fround(s[i]);
    if (conf) detrendColumns(conf, n, p);
  }
  if (conf !== null) {
    const stdConf = opts.standardizeConfounds ?? true;
    if (stdConf) {
      standardizeColumns(conf, n, p, true);
    } else {
      for (let c = 0; c < p; c++) {
        let mx = 0;
        for (let i = 0; i < n; i++) mx = Math.max(mx, Math.abs(conf[i * p + c]));
        if (mx === 0) mx = 1;
        for (let i = 0; i < n; i++) conf[i * p + c] /= mx;
      }
    }
    const q = pivotedQrBasis(conf, n, p);
    const r = q.cols;
    const coef = new Float64Array(r);
    for (let j = 0; j < k; j++) {
      coef.fill(0);
      for (let i = 0; i < n; i++) {
        const v = s[i * k + j];
        for (let c = 0; c < r; c++) coef[c] += q.data[i * r + c] * v;
      }
      for (let i = 0; i < n; i++) {
        let d = 0;
        for (let c = 0; c < r; c++) d += q.data[i * r + c] * coef[c];
        // nilearn: float32 signals -= float64 projection, stored back as float32.
        s[i * k + j] = f32 ? Math.fround(s[i * k + j] - d) : s[i * k + j] - d;
      }
    }
  }
  const how = opts.standardize ?? false;
  if (how) {
    if (how === 'psc') {
      // nilearn: if the cleaning removed the means (detrend / high-pass), put them back first.
      let num = 0;
      let den = 0;
      for (let j = 0; j < k; j++) {
        let m = 0;
        for (let i = 0; i < n; i++) m += s[i * k + j];
        num += Math.abs(m / n);
        den += Math.abs(origMean[j]);
      }
      if (num / k / (den / k) < 0.1) for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) s[i * k + j] += origMean[j];
    }
    if (f32) standardizeColumns32(s, n, k, how);
    else standardizeColumns(s, n, k, how);
  }
  return { rows: n, cols: k, data: s };
}

/**
 * NiftiLabelsMasker(labels_img, strategy='mean', standardize, detrend, ...)
 * .fit_transform(img, confounds): region means then signal.clean.
 */
export function labelSignals(
  data: Float32Array | Float64Array,
  dims: readonly number[],
  labels: ArrayLike<number>,
  opts: LabelSignalsOptions = {},
): LabelSignals {
  const raw = regionMeans(data, dims, labels, opts);
  const precision = opts.precision ?? opts.signalPrecision ?? 'float32';
  return { ...raw, signals: cleanSignals(raw.signals, { ...opts, precision }) };
}
