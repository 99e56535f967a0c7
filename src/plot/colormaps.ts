/**
 * Colour maps for figures. Each takes t in [0, 1] and returns 0..255 RGB.
 *
 * `coldHot` is nilearn's 'cold_hot' (nilearn/plotting/cm.py `_pigtailed_cmap(hot)`):
 * matplotlib's 'hot' for the positive half and the same ramp with channels permuted
 * (red <- hot's blue, green <- hot's green, blue <- hot's red) for the negative half,
 * meeting at hot's darkest colour in the middle (t = 0.5 is a zero statistic).
 */
export type RGB = readonly [number, number, number];
export type Colormap = (t: number) => RGB;

const clamp01 = (t: number) => (t < 0 ? 0 : t > 1 ? 1 : Number.isFinite(t) ? t : 0);
const to255 = (v: number) => Math.round(clamp01(v) * 255);

/** Piecewise-linear interpolation through (x, y) knots sorted by x. */
function ramp(knots: ReadonlyArray<readonly [number, number]>, x: number): number {
  if (x <= knots[0]![0]) return knots[0]![1];
  for (let i = 1; i < knots.length; i++) {
    const [x1, y1] = knots[i]!;
    if (x <= x1) {
      const [x0, y0] = knots[i - 1]!;
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return knots[knots.length - 1]![1];
}

export const gray: Colormap = (t) => {
  const v = to255(t);
  return [v, v, v];
};

// matplotlib 'hot' segment data (black -> red -> yellow -> white).
const HOT_R = [[0, 0.0416], [0.365079, 1], [1, 1]] as const;
const HOT_G = [[0, 0], [0.365079, 0], [0.746032, 1], [1, 1]] as const;
const HOT_B = [[0, 0], [0.746032, 0], [1, 1]] as const;

export const hot: Colormap = (t) => {
  const u = clamp01(t);
  return [to255(ramp(HOT_R, u)), to255(ramp(HOT_G, u)), to255(ramp(HOT_B, u))];
};

/** nilearn 'cold_hot': t = 0 -> most negative (white via cyan, blue), 0.5 -> black, 1 -> most positive (white via yellow, red). */
export const coldHot: Colormap = (t) => {
  const s = clamp01(t);
  if (s >= 0.5) return hot(2 * s - 1);
  const u = 1 - 2 * s; // distance from the middle, 0..1
  return [to255(ramp(HOT_B, u)), to255(ramp(HOT_G, u)), to255(ramp(HOT_R, u))];
};

// Samples of matplotlib's viridis at t = 0, 1/8, ..., 1 (sRGB 0..255), interpolated linearly.
const VIRIDIS: ReadonlyArray<RGB> = [
  [68, 1, 84], [71, 44, 122], [59, 82, 139], [44, 114, 142], [33, 145, 140],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

export const viridis: Colormap = (t) => {
  const x = clamp01(t) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [Math.round(a[0] + f * (b[0] - a[0])), Math.round(a[1] + f * (b[1] - a[1])), Math.round(a[2] + f * (b[2] - a[2]))];
};

export const COLORMAPS = { gray, hot, cold_hot: coldHot, viridis } as const;

/** CSS colour string of an RGB triple. */
export const css = (c: RGB): string => `rgb(${c[0]},${c[1]},${c[2]})`;
