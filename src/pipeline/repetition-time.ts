/**
 * The repetition time of one run, from the spec (`first_level.t_r`), the BIDS sidecar
 * (RepetitionTime, or a regularly spaced VolumeTiming) and the NIfTI header (pixdim[4]).
 *
 * A number given as `first_level.t_r` is used, with a warning when the sidecar says otherwise
 * (as nilearn's first_level_from_bids warns). With `t_r: auto` the sidecar wins over the header, as in nilearn's first_level_from_bids
 * and fMRIPrep (the header's pixdim[4] is often wrong after conversion); a disagreement is
 * reported with both values. A sidecar with VolumeTiming instead of RepetitionTime (BIDS: sparse
 * or clustered acquisitions) is used only when the volumes are regularly spaced from time 0, since
 * the first-level design assumes frame times 0, TR, 2 TR, ...; otherwise the run is refused.
 */

export interface RunTiming {
  /** Merged sidecar (BIDS inheritance). */
  sidecar: Record<string, unknown>;
  /** Key -> the JSON file that set it (the most specific one). */
  sidecarSource?: Record<string, string>;
  /** The BOLD file (for messages). */
  bold: string;
  /** Header pixdim[4] and its time unit. */
  headerTr: number;
  headerTimeUnit: string;
  nVolumes: number;
}

export type RepetitionTime = { tr: number; notes: string[] } | { problem: string };

/** Relative tolerance for "same TR" and "regular spacing" (sidecars store rounded values). */
const REL_TOL = 1e-3;

const close = (a: number, b: number) => Math.abs(a - b) <= REL_TOL * Math.max(Math.abs(a), Math.abs(b));

/** pixdim[4] in seconds, or undefined when not set or of unknown unit. */
function headerSeconds(t: RunTiming): number | undefined {
  if (!(t.headerTr > 0)) return undefined;
  if (t.headerTimeUnit === 'msec') return t.headerTr / 1000;
  if (t.headerTimeUnit === 'usec') return t.headerTr / 1e6;
  return t.headerTr; // 'sec', or 'unknown' (nibabel and nilearn read it as seconds)
}

/** Where a sidecar key was set, for messages. */
function sourceOf(t: RunTiming, key: string): string {
  return t.sidecarSource?.[key] ?? `the sidecar JSON of ${t.bold}`;
}

/**
 * The TR to use for a run. `setting` is `first_level.t_r` ('auto' or seconds).
 * Problems name the file; notes are warnings for the user (the run proceeds).
 */
export function repetitionTime(setting: number | 'auto', t: RunTiming): RepetitionTime {
  const header = headerSeconds(t);
  const sidecarTr = t.sidecar.RepetitionTime;
  if (setting !== 'auto') {
    // nilearn's first_level_from_bids warns when the given t_r differs from the dataset's.
    const found = typeof sidecarTr === 'number' && sidecarTr > 0 ? { v: sidecarTr, from: sourceOf(t, 'RepetitionTime') } : undefined;
    const note = found && !close(found.v, setting) ? [`${t.bold}: first_level.t_r (${fmt(setting)} s) differs from RepetitionTime in ${found.from} (${fmt(found.v)} s); using first_level.t_r as set`] : [];
    return { tr: setting, notes: note };
  }
  const notes: string[] = [];
  let tr: number | undefined;
  let from = '';
  if (typeof sidecarTr === 'number' && sidecarTr > 0) {
    tr = sidecarTr;
    from = sourceOf(t, 'RepetitionTime');
  } else if (t.sidecar.VolumeTiming !== undefined) {
    const vt = volumeTimingTr(t);
    if ('problem' in vt) return vt;
    tr = vt.tr;
    from = sourceOf(t, 'VolumeTiming');
    notes.push(`${from}: no RepetitionTime; VolumeTiming is regularly spaced, so its spacing ${fmt(tr)} s is used as the TR`);
  } else if (sidecarTr !== undefined) {
    return { problem: `${sourceOf(t, 'RepetitionTime')}: RepetitionTime ${JSON.stringify(sidecarTr)} is not a positive number of seconds; fix it or set first_level.t_r` };
  }
  if (tr === undefined) {
    if (header === undefined) return { problem: `${t.bold}: no RepetitionTime in the sidecar JSON and pixdim[4] is 0; set first_level.t_r` };
    return { tr: header, notes };
  }
  if (header !== undefined && !close(header, tr)) {
    notes.push(`${t.bold}: the NIfTI header's pixdim[4] (${fmt(header)} s) disagrees with ${from} (${fmt(tr)} s); using ${fmt(tr)} s from the sidecar, as nilearn and fMRIPrep do (set first_level.t_r to choose)`);
  }
  return { tr, notes };
}

/** TR from a VolumeTiming list when its volumes are regularly spaced from 0 and match the series. */
function volumeTimingTr(t: RunTiming): RepetitionTime {
  const file = sourceOf(t, 'VolumeTiming');
  const vt = t.sidecar.VolumeTiming;
  if (!Array.isArray(vt) || vt.length < 2 || !vt.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    return { problem: `${file}: VolumeTiming must be a list of at least 2 onset times in seconds; set first_level.t_r or fix the sidecar` };
  }
  const times = vt as number[];
  if (times.length !== t.nVolumes) {
    return { problem: `${file}: VolumeTiming has ${times.length} values but ${t.bold} has ${t.nVolumes} volumes` };
  }
  const step = times[1] - times[0];
  const regular = step > 0 && times.every((x, i) => i === 0 || close(x - times[i - 1], step));
  if (!regular) {
    return { problem: `${file}: VolumeTiming is not regularly spaced (sparse or clustered acquisition), which glmflow does not model (the design assumes one volume every TR); set first_level.t_r only if the volumes are in fact evenly spaced` };
  }
  if (Math.abs(times[0]) > REL_TOL * step) {
    return { problem: `${file}: VolumeTiming starts at ${fmt(times[0])} s, not 0; the design assumes the first volume at time 0 (shift the events or the timing)` };
  }
  return { tr: step, notes: [] };
}

const fmt = (x: number) => String(Number(x.toPrecision(6)));
