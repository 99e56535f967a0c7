/**
 * matplotlib's 'RdBu_r' diverging colour map (ColorBrewer RdBu, reversed: blue for negative,
 * near-white in the middle, red for positive), interpolated linearly between its 11 knots as
 * matplotlib's LinearSegmentedColormap does. Used for correlation and contrast matrices, where
 * the sign matters and 0 must read as "nothing".
 */
import type { RGB } from './colormaps.js';

const RDBU_R: ReadonlyArray<RGB> = [
  [5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240], [247, 247, 247],
  [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31],
];

/** t in [0, 1] (0 -> most negative, 0.5 -> zero, 1 -> most positive) -> 0..255 RGB. */
export function rdBuR(t: number): RGB {
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0.5;
  const x = u * (RDBU_R.length - 1);
  const i = Math.min(RDBU_R.length - 2, Math.floor(x));
  const f = x - i;
  const a = RDBU_R[i];
  const b = RDBU_R[i + 1];
  return [Math.round(a[0] + f * (b[0] - a[0])), Math.round(a[1] + f * (b[1] - a[1])), Math.round(a[2] + f * (b[2] - a[2]))];
}

/** The colour of value v on a symmetric scale [-vmax, vmax]. */
export function rdBuRValue(v: number, vmax: number): RGB {
  return rdBuR(vmax > 0 ? 0.5 + v / (2 * vmax) : 0.5);
}

