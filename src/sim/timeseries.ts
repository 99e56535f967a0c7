/**
 * Per-run time courses of the simulation: head motion (realignment parameters as fMRIPrep /
 * FSL MCFLIRT report them: translations in mm, rotations in radians, relative to the reference
 * volume), a physiological fluctuation shared by the tissues, and AR(1) noise series.
 */
import type { Rng } from '../stats/core/prng.js';

export const MOTION_COLUMNS = ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z'] as const;

/**
 * Stationary AR(1) series x_t = rho x_{t-1} + sqrt(1 - rho^2) sd e_t, x_0 = sd e_0
 * (so every x_t has standard deviation sd and lag-1 autocorrelation rho).
 */
export function ar1Series(rng: Rng, n: number, rho: number, sd: number): Float64Array {
  const out = new Float64Array(n);
  const innov = Math.sqrt(1 - rho * rho) * sd;
  let x = sd * rng.normal();
  out[0] = x;
  for (let t = 1; t < n; t++) {
    x = rho * x + innov * rng.normal();
    out[t] = x;
  }
  return out;
}

export interface Motion {
  /** One series per MOTION_COLUMNS entry, one value per volume. */
  params: Float64Array[];
  /** Volume (>= 1) at which the head jerks (a step in the translations), for the ground truth. */
  jerkVolume: number;
}

/**
 * Motion of one run: a smooth wander (AR(1), rho 0.9) plus a slow linear drift on every axis, and
 * one abrupt step ("jerk") of 0.3-0.5 mm in translation in the middle half of the run.
 * `level` scales everything (subjects differ in how much they move). The first volume is
 * the reference: all parameters are expressed relative to it.
 */
export function makeMotion(rng: Rng, nScans: number, level: number): Motion {
  const params: Float64Array[] = [];
  const jerkVolume = Math.floor(nScans / 4) + rng.int(Math.max(1, Math.floor(nScans / 2)));
  const jerkDir = [rng.normal(), rng.normal(), rng.normal()];
  const norm = Math.hypot(jerkDir[0], jerkDir[1], jerkDir[2]) || 1;
  const jerkSize = level * rng.between(0.3, 0.5);
  for (let a = 0; a < 6; a++) {
    const isRot = a >= 3;
    const wander = ar1Series(rng, nScans, 0.9, level * (isRot ? 0.0006 : 0.04));
    const slope = level * rng.normal() * (isRot ? 0.002 : 0.15); // total drift over the run
    const p = new Float64Array(nScans);
    for (let t = 0; t < nScans; t++) {
      p[t] = wander[t] + (slope * t) / Math.max(1, nScans - 1);
      if (!isRot && t >= jerkVolume) p[t] += (jerkSize * jerkDir[a]) / norm;
    }
    const ref = p[0];
    for (let t = 0; t < nScans; t++) p[t] -= ref;
    params.push(p);
  }
  return { params, jerkVolume };
}

/**
 * Framewise displacement (Power et al. 2012, as fMRIPrep computes it): the sum of the absolute
 * backward differences of the translations plus those of the rotations converted to mm of arc
 * on a 50 mm sphere. NaN for the first volume.
 */
export function framewiseDisplacement(params: readonly Float64Array[]): Float64Array {
  const n = params[0].length;
  const fd = new Float64Array(n);
  fd[0] = NaN;
  for (let t = 1; t < n; t++) {
    let s = 0;
    for (let a = 0; a < 6; a++) s += Math.abs(params[a][t] - params[a][t - 1]) * (a >= 3 ? 50 : 1);
    fd[t] = s;
  }
  return fd;
}

/** Backward difference with NaN in the first row (fMRIPrep's `_derivative1` columns). */
export function derivative1(x: Float64Array): Float64Array {
  const d = new Float64Array(x.length);
  d[0] = NaN;
  for (let t = 1; t < x.length; t++) d[t] = x[t] - x[t - 1];
  return d;
}

/** Element-wise square (NaN stays NaN): fMRIPrep's `_power2` columns. */
export function power2(x: Float64Array): Float64Array {
  return x.map((v) => v * v);
}
