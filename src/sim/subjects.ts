/**
 * Simulated participants and their true effects.
 *
 * Response amplitudes are in percent signal change of the voxel's baseline per unit of the
 * condition's regressor (a block convolved with the SPM HRF, plateau ~1), so with
 * signal_scaling 0 a first-level `effect_size` estimates them directly.
 *
 *   face_region:  face = 0.4 + d,  scene = 0.4,  object = 0.6,
 *                 d = faceVsScene = 0.5 + 0.03 * (age - 20) + N(0, 0.08^2)   (grows with age)
 *   scene_left / scene_right (same value on both sides):
 *                 face = 0.3,  scene = 0.3 + e,  object = 0.6,
 *                 e = sceneVsFace = 1.2 + N(0, 0.15^2)                      (everyone, no age effect)
 *   control:      face = scene = object = c,  c = 1.0 + N(0, 0.1^2)           (no category contrast)
 *   elsewhere:    0
 */
import type { Condition } from './paradigm.js';
import { Rng } from '../stats/core/prng.js';

export const FACE_EFFECT = { intercept: 0.5, agePerYear: 0.03, ageRef: 20, sd: 0.08 } as const;
export const SCENE_EFFECT = { mean: 1.2, sd: 0.15 } as const;
export const CONTROL_EFFECT = { mean: 1.0, sd: 0.1 } as const;
export const AGE_RANGE = [20, 65] as const;

export type Amplitudes = Record<Condition, number>;

export interface Subject {
  /** Label without 'sub-' (two digits, or more when there are 100+ subjects). */
  label: string;
  age: number;
  sex: 'M' | 'F';
  /** Scales the head motion of this subject's runs. */
  motionLevel: number;
  /** True amplitudes per region name. */
  amplitudes: Record<string, Amplitudes>;
}

export function subjectLabels(n: number): string[] {
  const width = Math.max(2, String(n).length);
  return Array.from({ length: n }, (_, i) => String(i + 1).padStart(width, '0'));
}

/**
 * Ages are stratified over AGE_RANGE (one per 1/n-wide stratum, in a random subject order) so
 * even a small sample spans the range and the age effect is estimable; sexes alternate in a
 * random order (balanced).
 */
export function makeSubjects(seed: number, n: number): Subject[] {
  const rng = new Rng(seed, 'participants');
  const labels = subjectLabels(n);
  const strata = rng.shuffled(labels.map((_, i) => i));
  const sexes = rng.shuffled(labels.map((_, i) => (i % 2 === 0 ? 'F' : 'M') as 'M' | 'F'));
  return labels.map((label, i) => {
    const span = AGE_RANGE[1] - AGE_RANGE[0];
    const age = Math.round(AGE_RANGE[0] + (span * (strata[i] + rng.uniform())) / n);
    const r = new Rng(seed, `sub-${label}/effects`);
    const d = FACE_EFFECT.intercept + FACE_EFFECT.agePerYear * (age - FACE_EFFECT.ageRef) + FACE_EFFECT.sd * r.normal();
    const e = SCENE_EFFECT.mean + SCENE_EFFECT.sd * r.normal();
    const c = CONTROL_EFFECT.mean + CONTROL_EFFECT.sd * r.normal();
    const scene: Amplitudes = { face: 0.3, scene: 0.3 + e, object: 0.6 };
    return {
      label,
      age,
      sex: sexes[i],
      motionLevel: 0.5 + r.uniform(),
      amplitudes: {
        face_region: { face: 0.4 + d, scene: 0.4, object: 0.6 },
        scene_left: { ...scene },
        scene_right: { ...scene },
        control: { face: c, scene: c, object: c },
      },
    };
  });
}
