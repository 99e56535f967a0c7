/**
 * `glmflow simulate --layout laion`: the file layout of a dense-sampling multi-echo study such as
 * LAION-fMRI (sessions × runs, 7T multi-echo BOLD, optimally combined derivatives, per-subject ROI
 * masks), written around the same simulated signal as the default layout.
 *
 *   raw:          sub-XX/ses-YY/func/sub-XX_ses-YY_task-faces_run-R_echo-E_part-mag_bold.nii.gz (+ .json, EchoTime)
 *   derivatives:  derivatives/fmriprep/sub-XX/ses-YY/func/…_space-T1w_desc-optcom_bold.nii.gz (+ .json),
 *                 …_space-T1w_desc-brain_mask.nii.gz, …_desc-confounds_timeseries.tsv (+ .json)
 *   ROI masks:    derivatives/rois/sub-XX/sub-XX_space-T1w_roi-NAME_mask.nii.gz
 *
 * The echoes follow a mono-exponential decay of the simulated (optimally combined) signal S:
 * echo e = S · exp(-(TE_e - T2*) / T2*), i.e. S at TE = T2* (where the optimal combination
 * weights peak), with one T2* everywhere. They are there for their names and sidecars (so that
 * discovery must choose among echoes); the analysis reads the desc-optcom series.
 */
import { phantomSphere, type Phantom } from './phantom.js';

/** Echo times of the three echoes (s), LAION-like 7T values. */
export const ECHO_TIMES = [0.012, 0.03, 0.048] as const;
/** T2* of the decay between echoes (s), grey matter at 7T. */
export const T2_STAR = 0.028;
/** Space of the laion-layout derivatives: per-subject (native) space, as the ROI masks. */
export const LAION_SPACE = 'T1w';
export const LAION_DESC = 'optcom';

/** One echo's series from the optimally combined one. */
export function echoSeries(bold: Float32Array, te: number): Float32Array {
  const w = Math.exp(-(te - T2_STAR) / T2_STAR);
  const out = new Float32Array(bold.length);
  for (let i = 0; i < bold.length; i++) out[i] = bold[i] * w;
  return out;
}

export interface RoiMaskDef {
  /** The BIDS roi- label. */
  name: string;
  /** Phantom regions the mask covers (their union). */
  regions?: string[];
  /** Or a sphere without effect, in brain coordinates. */
  sphere?: { u: [number, number, number]; radiusMm: number };
  /** Sign of the true faceVsScene effect in the mask. */
  faceVsScene: 'positive' | 'negative' | 'zero';
  description: string;
}

/**
 * The ROI masks written per subject. PPA covers lPPA and rPPA (masks may overlap); `noeffect` is a
 * sphere as large as the regions where nothing responds (the mirror of the face region).
 */
export const ROI_MASKS: readonly RoiMaskDef[] = [
  { name: 'FFA', faceVsScene: 'positive', regions: ['face_region'], description: 'the face region: faceVsScene > 0' },
  { name: 'lPPA', faceVsScene: 'negative', regions: ['scene_left'], description: 'the left scene region: faceVsScene < 0' },
  { name: 'rPPA', faceVsScene: 'negative', regions: ['scene_right'], description: 'the right scene region: faceVsScene < 0' },
  { name: 'PPA', faceVsScene: 'negative', regions: ['scene_left', 'scene_right'], description: 'both scene regions (overlaps lPPA and rPPA)' },
  { name: 'control', faceVsScene: 'zero', regions: ['control'], description: 'the control region: responds to every condition, faceVsScene = 0' },
  { name: 'noeffect', faceVsScene: 'zero', sphere: { u: [-0.5, -0.45, -0.35], radiusMm: 8 }, description: 'a sphere without any effect (mirror of the face region): every contrast = 0' },
];

/** Voxels (flat indices) of each ROI mask, in ROI_MASKS order; the null sphere is checked to miss every region. */
export function roiMaskVoxels(ph: Phantom): number[][] {
  return ROI_MASKS.map((d) => {
    if (d.regions) return d.regions.flatMap((name) => ph.regions.find((r) => r.name === name)!.voxels).sort((a, b) => a - b);
    const voxels = phantomSphere(ph, d.sphere!.u, d.sphere!.radiusMm).voxels;
    if (voxels.some((v) => ph.labels[v] !== 0)) throw new Error(`simulate: the ${d.name} ROI overlaps a region with effects`);
    return voxels;
  });
}

/** File name of a subject's ROI mask, relative to the dataset root. */
export function roiMaskFile(subject: string, name: string): string {
  return `derivatives/rois/sub-${subject}/sub-${subject}_space-${LAION_SPACE}_roi-${name}_mask.nii.gz`;
}
