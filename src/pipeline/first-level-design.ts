import { frameTimesFor, makeFirstLevelDesignMatrix, type DesignMatrix } from '../stats/design/design.js';
import type { EventsTable } from '../stats/design/events.js';
import type { HrfModel } from '../stats/design/hrf.js';

/** Canonical parameters of one run's design (the `design` node's params). */
export interface DesignParams {
  run: string;
  n_scans: number;
  t_r: number;
  slice_time_ref: number;
  hrf_model: string;
  fir_delays: number[];
  drift_model: 'cosine' | 'polynomial' | 'none';
  high_pass: number;
  drift_order: number;
  min_onset: number;
  oversampling: number;
}

/**
 * The design matrix of one run, exactly as nilearn's FirstLevelModel builds it:
 * frame times from t_r and slice_time_ref, events convolved with the HRF,
 * confounds as added regressors, then drifts and the constant.
 * Used by the `design` node and by the pre-flight checks (to validate contrasts
 * against the real column names before anything is computed).
 */
export function buildRunDesign(
  p: DesignParams,
  events: EventsTable | null,
  confounds: { names: string[]; values: Float64Array[] } | null,
  onWarning?: (m: string) => void,
): DesignMatrix {
  const frameTimes = frameTimesFor(p.n_scans, p.t_r, p.slice_time_ref);
  let addRegs;
  if (confounds && confounds.names.length) {
    const k = confounds.names.length;
    const data = new Float64Array(p.n_scans * k);
    for (let j = 0; j < k; j++) {
      const col = confounds.values[j];
      if (col.length !== p.n_scans) {
        throw new Error(`confound '${confounds.names[j]}' has ${col.length} rows but the run has ${p.n_scans} volumes`);
      }
      for (let i = 0; i < p.n_scans; i++) data[i * k + j] = col[i];
    }
    addRegs = { names: confounds.names, values: { rows: p.n_scans, cols: k, data } };
  }
  return makeFirstLevelDesignMatrix(frameTimes, events, {
    hrfModel: (p.hrf_model === 'none' ? null : p.hrf_model) as HrfModel,
    driftModel: p.drift_model === 'none' ? null : p.drift_model,
    highPass: p.high_pass,
    driftOrder: p.drift_order,
    firDelays: p.fir_delays,
    minOnset: p.min_onset,
    oversampling: p.oversampling,
    addRegs,
    onWarning,
  });
}
