/**
 * Small numeric helpers that reproduce numpy / scipy semantics exactly, so the
 * design-matrix code lands on the same floating-point grid as nilearn.
 */

/** numpy.rint: round half to even. */
export function rint(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; numpy rounds .5 to the even neighbour.
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/**
 * numpy.linspace(start, stop, num) with endpoint=True:
 * y[i] = i * ((stop - start) / (num - 1)) + start, and y[num-1] = stop exactly.
 */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const n = Math.max(0, Math.trunc(num));
  const y = new Float64Array(n);
  if (n === 0) return y;
  if (n === 1) {
    y[0] = start;
    return y;
  }
  const div = n - 1;
  const delta = stop - start;
  const step = delta / div;
  if (step === 0) {
    for (let i = 0; i < n; i++) y[i] = (i / div) * delta + start;
  } else {
    for (let i = 0; i < n; i++) y[i] = i * step + start;
  }
  y[n - 1] = stop;
  return y;
}

/** numpy.searchsorted(a, v, side='left') on an ascending array: first i with a[i] >= v. */
export function searchsortedLeft(a: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * scipy.interpolate.interp1d(x, y, kind='linear')(xNew) on ascending x, evaluated
 * with scipy's formula: slope = (y[hi]-y[lo])/(x[hi]-x[lo]); y = slope*(t-x[lo]) + y[lo],
 * where hi = clip(searchsorted(x, t), 1, n-1). `offset`/`length` select a window of x and y
 * (both windows start at the same offsets given separately) without copying.
 * Points outside [x[0], x[n-1]] throw, like scipy's default bounds_error=True.
 */
export function interpLinear(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  xNew: ArrayLike<number>,
  xOffset = 0,
  yOffset = 0,
  length = x.length - xOffset,
): Float64Array {
  const n = length;
  if (n < 2) throw new Error('linear interpolation needs at least 2 points');
  const out = new Float64Array(xNew.length);
  const x0 = x[xOffset];
  const xLast = x[xOffset + n - 1];
  for (let k = 0; k < xNew.length; k++) {
    const t = xNew[k];
    if (!(t >= x0 && t <= xLast)) {
      throw new RangeError(`A value (${t}) is outside the interpolation range [${x0}, ${xLast}]`);
    }
    // searchsorted (left) inside the window
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x[xOffset + mid] < t) lo = mid + 1;
      else hi = mid;
    }
    const iHi = lo < 1 ? 1 : lo > n - 1 ? n - 1 : lo;
    const iLo = iHi - 1;
    const xl = x[xOffset + iLo];
    const xh = x[xOffset + iHi];
    const yl = y[yOffset + iLo];
    const yh = y[yOffset + iHi];
    const slope = (yh - yl) / (xh - xl);
    out[k] = slope * (t - xl) + yl;
  }
  return out;
}
