/**
 * Single-trial stage: beta series per run. LSS: one `single-trial-bold` node per run (the
 * masked, smoothed, scaled BOLD, read once) and one `single-trial` node per run and condition
 * on it (adding a condition computes only its nodes; runs and conditions spread over workers); LSA:
 * one node per run (the all-trials model depends on every selected condition). One save node
 * per run gathers the run's nodes into the 4D maps and the trial table (events order), and,
 * with `roi` set, the ROI-mean beta series (atlas labels and roi.masks files).
 */
import { resolve } from 'node:path';
import type { Json } from '../engine/types.js';
import { problemAt } from './semantic.js';
import { atlasNames, type StageContext } from './compile-group.js';

export async function addSingleTrialStage(ctx: StageContext): Promise<void> {
  const { loaded, nodes, problems } = ctx;
  const st = loaded.spec.single_trial;
  const fl = loaded.spec.first_level;
  if (!st || !fl) return;
  const all = new Set(ctx.subjects.flatMap((s) => s.runs.flatMap((r) => r.conditions ?? [])));
  st.conditions?.forEach((c, i) => {
    if (!all.has(c)) problems.push(problemAt(loaded, ['single_trial', 'conditions', i], `no trial of condition '${c}' in the events files; expected one of: ${[...all].sort().join(', ')}`, 'value'));
  });
  const roi = loaded.spec.roi;
  const names = roi ? await atlasNames(ctx) : undefined;
  const maskNames = Object.keys(roi?.masks ?? {});
  // with roi set, the save node also writes the ROI-mean series: the atlas labels, then the
  // roi.masks files (each subject's, as the ROI stage resolved and checked them)
  const roiFiles = (subject: string) => ({
    ...(roi?.atlas ? { atlas: roi.atlas } : {}),
    ...(maskNames.length ? { masks: ctx.roiMaskFiles?.get(subject) ?? [] } : {}),
  });
  for (const s of ctx.subjects) {
    const sub = `sub-${s.subject}`;
    const dir = resolve(ctx.outputDir, 'first_level', sub);
    for (const run of s.runs) {
      const conditions = (st.conditions ?? run.conditions ?? []).filter((c) => run.conditions?.includes(c));
      if (!conditions.length || !run.loadId || !run.design) continue;
      const common = {
        run: run.label, method: st.method, design: run.design, noise_model: fl.noise_model,
        smoothing_fwhm: fl.smoothing_fwhm ?? null, signal_scaling: fl.signal_scaling, bins: 100,
      };
      const deps: Record<string, string> = { design: run.designId, mask: s.maskId, events: run.loadId, ...(run.confoundsId ? { confounds: run.confoundsId } : {}) };
      const groups = st.method === 'lss' ? conditions.map((c) => [c]) : [conditions];
      const ids: string[] = [];
      // LSS: the run's masked, smoothed, scaled BOLD once, shared by its condition nodes (for
      // every number of conditions, so that adding one leaves the others' inputs unchanged)
      const boldId = `single-trial-bold/${sub}/${run.label}`;
      if (st.method === 'lss') {
        nodes.push({
          id: boldId, type: 'single-trial-bold',
          params: { run: run.label, smoothing_fwhm: common.smoothing_fwhm, signal_scaling: common.signal_scaling } as unknown as Json,
          deps: { design: run.designId, mask: s.maskId }, files: { bold: run.bold },
          stage: 'single-trial', subject: sub, label: `${run.label} BOLD for ${st.method}`,
        });
      }
      for (const g of groups) {
        const id = `single-trial/${sub}/${run.label}/${st.method}${st.method === 'lss' ? `/${g[0]}` : ''}`;
        nodes.push({
          id, type: 'single-trial', params: { ...common, conditions: g } as unknown as Json,
          deps: st.method === 'lss' ? { ...deps, bold: boldId } : deps, files: st.method === 'lss' ? {} : { bold: run.bold },
          stage: 'single-trial', subject: sub, label: `${run.label} ${st.method}${st.method === 'lss' ? ` ${g[0]}` : ''}`,
        });
        ids.push(id);
      }
      nodes.push({
        id: `save/${sub}/${run.label}/betaseries`, type: 'save',
        params: {
          kind: 'betaseries', dir, prefix: `${sub}_${run.label}`, method: st.method, outputs: st.outputs,
          ...(roi && names ? { roiDir: resolve(ctx.outputDir, 'roi'), names, masks: maskNames, resample: roi.resample } : {}),
        } as unknown as Json,
        deps: { series: ids, mask: s.maskId }, files: roi && names ? roiFiles(s.subject) : {},
        stage: 'save', subject: sub, label: `${run.label} beta series`,
      });
    }
  }
}
