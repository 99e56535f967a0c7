/**
 * Volumes for the report's viewer, made small: stat maps as int16 NIfTI with a scale factor
 * (|z| up to ~40 keeps 0.001 resolution), underlays as uint8 (robust 0.5-99.5 % window),
 * optionally block-averaged by an integer factor, gzipped, and wrapped in a classic script
 * `glmflowViewer.register(ID, "base64")` so that a report opened from file:// needs no fetch.
 */
import { gzipSync } from 'node:zlib';
import { buildNifti1Header } from '../io/nifti-write.js';

export interface ViewerVolume {
  dims: readonly number[];
  affine: number[][];
  data: ArrayLike<number>;
}

const DT_UINT8 = 2;
const DT_INT16 = 4;

/** The NIfTI-1 header of glmflow's writer (sform + qform), retyped to int16/uint8 with a scale. */
function header(vol: ViewerVolume, datatype: number, bitpix: number, slope: number, calMin: number, calMax: number): Buffer {
  const h = buildNifti1Header({ dims: vol.dims.slice(0, 3), affine: vol.affine, data: new Float32Array(0), description: 'glmflow report viewer' });
  h.writeInt16LE(datatype, 70);
  h.writeInt16LE(bitpix, 72);
  h.writeFloatLE(slope, 112); // scl_slope
  h.writeFloatLE(0, 116); // scl_inter
  h.writeFloatLE(calMax, 124); // cal_max
  h.writeFloatLE(calMin, 128); // cal_min
  return h;
}

function count(vol: ViewerVolume): number {
  return vol.dims[0] * vol.dims[1] * vol.dims[2];
}

/** A stat map as gzipped int16 NIfTI: value = stored * slope, slope = max|value| / 32767 (NaN -> 0). */
export function encodeStatMap(vol: ViewerVolume): Uint8Array {
  const n = count(vol);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(vol.data[i]);
    if (a > max && Number.isFinite(a)) max = a;
  }
  const slope = max > 0 ? max / 32767 : 1;
  const body = Buffer.alloc(2 * n);
  for (let i = 0; i < n; i++) {
    const v = vol.data[i];
    body.writeInt16LE(Number.isFinite(v) ? Math.round(v / slope) : 0, 2 * i);
  }
  return gzipSync(Buffer.concat([header(vol, DT_INT16, 16, slope, 0, max), body]), { level: 9 });
}

/** The value at a quantile (0..1) of the non-zero finite voxels. */
function quantileNonZero(data: ArrayLike<number>, n: number, q: number): number {
  const v: number[] = [];
  for (let i = 0; i < n; i++) if (data[i] !== 0 && Number.isFinite(data[i])) v.push(data[i]);
  if (v.length === 0) return 0;
  v.sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(q * (v.length - 1)))];
}

/**
 * An underlay as gzipped uint8 NIfTI: 0 stays 0 (background), the rest scaled 1..255 over
 * `window` (default: 0 or the 0.5 % quantile, to the 99.5 % quantile of the non-zero voxels).
 */
export function encodeUnderlay(vol: ViewerVolume, window?: [number, number]): Uint8Array {
  const n = count(vol);
  const lo = window ? window[0] : Math.min(0, quantileNonZero(vol.data, n, 0.005));
  const hi = window ? window[1] : quantileNonZero(vol.data, n, 0.995) || 1;
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    const v = vol.data[i];
    if (v === 0 || !Number.isFinite(v)) continue;
    body[i] = Math.max(1, Math.min(255, Math.round((255 * (v - lo)) / (hi - lo))));
  }
  return gzipSync(Buffer.concat([header(vol, DT_UINT8, 8, 1, 0, 255), body]), { level: 9 });
}

/**
 * Block average by an integer factor per axis (partial blocks at the far edges averaged over
 * what they hold); the affine's voxel axes grow by the factor and its origin moves to the
 * centre of the first block.
 */
export function downsample(vol: ViewerVolume, factor: number): ViewerVolume {
  if (factor <= 1) return vol;
  const [nx, ny, nz] = vol.dims;
  const [mx, my, mz] = [nx, ny, nz].map((d) => Math.ceil(d / factor));
  const sum = new Float64Array(mx * my * mz);
  const cnt = new Uint32Array(mx * my * mz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const v = vol.data[i + nx * (j + ny * k)];
        if (!Number.isFinite(v)) continue;
        const o = Math.floor(i / factor) + mx * (Math.floor(j / factor) + my * Math.floor(k / factor));
        sum[o] += v;
        cnt[o]++;
      }
  const data = new Float32Array(sum.length);
  for (let o = 0; o < sum.length; o++) data[o] = cnt[o] ? sum[o] / cnt[o] : 0;
  const shift = (factor - 1) / 2;
  const a = vol.affine;
  const affine = [0, 1, 2].map((r) => [a[r][0] * factor, a[r][1] * factor, a[r][2] * factor, a[r][3] + shift * (a[r][0] + a[r][1] + a[r][2])]);
  affine.push([0, 0, 0, 1]);
  return { dims: [mx, my, mz], affine, data };
}

/** The smallest integer factor that brings the volume to at most `maxVoxels` voxels. */
export function downsampleFactor(dims: readonly number[], maxVoxels: number): number {
  let f = 1;
  while (Math.ceil(dims[0] / f) * Math.ceil(dims[1] / f) * Math.ceil(dims[2] / f) > maxVoxels) f++;
  return f;
}

/** Viewer ids become file names and JS strings: keep them to a safe alphabet. */
export function viewerId(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '_');
}

/** The classic script that hands the gzipped NIfTI bytes to the viewer. */
export function viewerDataScript(id: string, gz: Uint8Array): string {
  const b64 = Buffer.from(gz.buffer, gz.byteOffset, gz.byteLength).toString('base64');
  return `glmflowViewer.register(${JSON.stringify(viewerId(id))}, "${b64}");\n`;
}
