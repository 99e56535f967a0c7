/**
 * ROI stage: per run the ROI signals (`roi` kind signals: the atlas labels, then one column
 * per roi.masks entry), then per subject and contrast an ROI-level GLM and map summary
 * (`roi` kind glm), saved as TSV + PNG.
 *
 * Before computing, each subject's ROI images are checked: mask files exist (a {subject}
 * pattern resolved per subject), are binary (nilearn's load_mask_img), and are on the grid
 * of the subject's BOLD, or are resampled by nearest neighbour with roi.resample: nearest
 * (a warning names the image and both grids). The atlas must be on the BOLD grid.
 */
import { existsSync, statSync } from 'node:fs';
import type { Json } from '../engine/types.js';
import { readNifti, readNiftiHeader, type NiftiHeaderInfo } from '../io/nifti.js';
import { binaryMaskProblem } from '../stats/image/binary-mask.js';
import { ATLAS_GRID_HINT, checkRoiGrid, maskPathFor } from '../pipeline/roi-images.js';
import { problemAt } from './semantic.js';
import { atlasNames, type StageContext, type SubjectOutputs } from './compile-group.js';

/** Each subject's mask files in roi.masks order; undefined when a problem was reported. */
async function subjectMasks(ctx: StageContext, s: SubjectOutputs, bold: NiftiHeaderInfo | undefined, checked: Map<string, string | null>): Promise<string[] | undefined> {
  const r = ctx.loaded.spec.roi!;
  const files: string[] = [];
  let ok = true;
  for (const [name, pattern] of Object.entries(r.masks ?? {})) {
    const file = maskPathFor(pattern, s.subject);
    const at = (message: string) => ctx.problems.push(problemAt(ctx.loaded, ['roi', 'masks', name], message, 'value'));
    files.push(file);
    if (!existsSync(file) || !statSync(file).isFile()) {
      at(`ROI '${name}', sub-${s.subject}: mask file not found: ${file}${pattern.includes('{subject}') ? ` (from ${pattern})` : ''}`);
      ok = false;
      continue;
    }
    // the same file (a mask shared by subjects) is read once
    if (!checked.has(file)) {
      const img = await readNifti(file);
      const bad = binaryMaskProblem(img.data.subarray(0, img.dims[0] * img.dims[1] * img.dims[2]));
      checked.set(file, bad);
    }
    const bad = checked.get(file);
    if (bad) {
      at(`ROI '${name}', sub-${s.subject}: mask ${file} ${bad}`);
      ok = false;
      continue;
    }
    if (bold && s.boldHeader) {
      const g = checkRoiGrid(`ROI mask '${name}' (sub-${s.subject})`, file, await readNiftiHeader(file), s.boldHeader, bold, r.resample);
      if (g.problem) {
        at(g.problem);
        ok = false;
      }
      if (g.warning) ctx.warnings?.push(g.warning);
    }
  }
  return ok ? files : undefined;
}

export async function addRoiStage(ctx: StageContext): Promise<void> {
  const { loaded, nodes, problems } = ctx;
  const r = loaded.spec.roi;
  const fl = loaded.spec.first_level;
  if (!r || !fl) return;
  const names = await atlasNames(ctx);
  if (!names) return;
  const maskNames = Object.keys(r.masks ?? {});
  const atlasNamed = new Set(Object.values(names));
  for (const m of maskNames) {
    if (atlasNamed.has(m)) problems.push(problemAt(loaded, ['roi', 'masks', m], `ROI name '${m}' is also an atlas label name in ${r.labels}; expected distinct names (they name the ROI columns and rows)`));
  }
  const atlasHeader = r.atlas ? await readNiftiHeader(r.atlas) : undefined;
  const checked = new Map<string, string | null>();
  const before = problems.length;
  let atlasReported = false;
  const perSubject: { s: SubjectOutputs; masks: string[] }[] = [];
  for (const s of ctx.subjects) {
    const bold = s.boldGrid;
    if (r.atlas && atlasHeader && bold && s.boldHeader) {
      // the atlas also labels cluster peaks and ROI beta series on the BOLD grid: never resampled
      const g = checkRoiGrid('atlas', r.atlas, atlasHeader, s.boldHeader, bold, 'none', ATLAS_GRID_HINT);
      // one atlas for every subject: one problem (or warning) is enough
      if (g.problem && !atlasReported) problems.push(problemAt(loaded, ['roi', 'atlas'], g.problem, 'value'));
      atlasReported ||= Boolean(g.problem);
    }
    const masks = await subjectMasks(ctx, s, bold, checked);
    if (masks) perSubject.push({ s, masks });
  }
  if (problems.length > before) return;
  ctx.roiMaskFiles = new Map(perSubject.map(({ s, masks }) => [s.subject, masks]));

  const imageFiles = (masks: string[]) => ({ ...(r.atlas ? { atlas: r.atlas } : {}), ...(masks.length ? { masks } : {}) });
  for (const { s, masks } of perSubject) {
    const sub = `sub-${s.subject}`;
    const signalIds: string[] = [];
    for (const run of s.runs) {
      const id = `roi/${sub}/${run.label}`;
      const regress = r.confounds && Boolean(run.confoundsId);
      nodes.push({
        id, type: 'roi', params: { kind: 'signals', run: run.label, standardize: r.standardize, regress_confounds: regress, masks: maskNames, resample: r.resample },
        deps: regress ? { confounds: run.confoundsId! } : {}, files: { bold: run.bold, ...imageFiles(masks) }, stage: 'roi', subject: sub, label: run.label,
      });
      nodes.push({
        id: `save/roi/${sub}/${run.label}`, type: 'save', params: { kind: 'roi-signals', dir: `${ctx.outputDir}/roi`, prefix: `${sub}_${run.label}`, names },
        deps: { signals: id }, files: {}, stage: 'save', subject: sub, label: `roi ${run.label}`,
      });
      signalIds.push(id);
    }
    for (const contrast of r.contrasts) {
      if (!s.contrastIds[contrast]) continue;
      const id = `roi/${sub}/${contrast}`;
      nodes.push({
        id, type: 'roi',
        params: {
          kind: 'glm', contrast, definition: fl.contrasts[contrast], noise_model: fl.noise_model,
          signal_scaling: fl.signal_scaling === 0 ? 0 : false /* 1 and [0, 1] are refused with roi (option-checks) */, input: r.input, names, masks: maskNames, resample: r.resample,
        } as unknown as Json,
        deps: { signals: signalIds, designs: s.runs.map((x) => x.designId), contrast: s.contrastIds[contrast], mask: s.maskId },
        files: imageFiles(masks), stage: 'roi', subject: sub, label: contrast,
      });
      nodes.push({
        id: `save/roi/${sub}/${contrast}`, type: 'save', params: { kind: 'roi', dir: `${ctx.outputDir}/roi`, prefix: sub, contrast },
        deps: { roi: id }, files: {}, stage: 'save', subject: sub, label: `roi ${contrast}`,
      });
    }
  }
}
