/**
 * report: true | false | {threshold, cut_coords} (SPEC report.threshold): the settings reach
 * the report node, a method name must be one of group.inference, non-MNI spaces get an
 * underlay node (mean EPI without an fMRIPrep T1w), MNI spaces use the shipped template.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { projectRoot, referenceDir } from '../helpers/paths.js';
import { compilePipeline } from '../../src/spec/compile.js';
import { findPreprocT1w } from '../../src/io/anat.js';
import { isMni152Space, readMni152 } from '../../src/io/mni152.js';

const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'glmflow-report-')); dirs.push(d); return d; };
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function specFile(dir: string, extra: Record<string, unknown>, space: string | undefined = 'MNI152NLin2009cAsym', bids = join(referenceDir, 'synth')): string {
  const file = join(dir, `spec-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({
    glmflow: 1, name: 'report',
    data: { bids, derivatives: join(bids, 'derivatives', 'fmriprep'), task: 'faces', ...(space ? { space } : {}), runs: ['1'] },
    output: join(dir, 'out'),
    first_level: { t_r: 2, hrf_model: 'spm', mask: 'derivatives', contrasts: { face: 'face' } },
    ...extra,
  }));
  return file;
}

const reportNode = (c: Awaited<ReturnType<typeof compilePipeline>>) => c.graph.nodes.find((n) => n.id === 'report');

test('report: true / false / a mapping; threshold and cut_coords reach the report node', async () => {
  const dir = tmp();
  assert.ok(reportNode(await compilePipeline(specFile(dir, { report: true }), {})));
  assert.equal(reportNode(await compilePipeline(specFile(dir, { report: false }), {})), undefined);
  const r = reportNode(await compilePipeline(specFile(dir, { report: { threshold: 2.3, cut_coords: [0, -52, 10] } }), {}))!;
  assert.equal((r.params as any).threshold, 2.3);
  assert.deepEqual((r.params as any).cutCoords, [0, -52, 10]);
  // MNI space: the template, no underlay node
  assert.deepEqual((r.params as any).underlays, []);
  assert.equal((reportNode(await compilePipeline(specFile(dir, { report: {} }), {}))!.params as any).threshold, undefined);
});

test('report.threshold naming a method not in group.inference, or a bad value, is refused at the key', async () => {
  const dir = tmp();
  for (const [report, pattern] of [
    [{ threshold: 'fdr' }, /report\.threshold: 'fdr' names an inference method but the spec has no group\.inference/],
    [{ threshold: -1 }, /report\.threshold/],
    [{ threshold: 'maybe' }, /report\.threshold/],
    [{ cut_coords: [1, 2] }, /report\.cut_coords/],
  ] as const) {
    const file = specFile(dir, { report });
    await assert.rejects(compilePipeline(file, {}), (e: any) => {
      assert.equal(e.name, 'UserError');
      assert.match([e.message, ...(e.problems ?? [])].join('\n'), pattern);
      return true;
    });
  }
});

test('space from the BOLD file name when data.space is not given: MNI derivatives use the template', async () => {
  const dir = tmp();
  const r = reportNode(await compilePipeline(specFile(dir, { report: true }, undefined), {}))!;
  assert.equal((r.params as any).dataset.space, 'MNI152NLin2009cAsym');
  assert.deepEqual((r.params as any).underlays, []);
});

test('non-MNI space (raw BIDS): an underlay node per subject with the mean EPI of its first run', async () => {
  const dir = tmp();
  const file = join(dir, 'localizer.yaml');
  writeFileSync(file, stringify({
    glmflow: 1, name: 'loc', data: { bids: join(projectRoot, 'examples', 'studyforrest-localizer'), task: 'localizer' },
    output: join(dir, 'out'), first_level: { t_r: 2, contrasts: { face: 'face' } }, report: true,
  }));
  const c = await compilePipeline(file, {});
  const u = c.graph.nodes.find((n) => n.type === 'underlay')!;
  assert.equal(u.id, 'underlay/sub-01');
  assert.deepEqual(u.params, { kind: 'mean-epi' });
  assert.match(u.files.image as string, /sub-01_task-localizer_.*bold\.nii\.gz$/);
  assert.deepEqual((reportNode(c)!.params as any).underlays, ['sub-01']);
  assert.deepEqual(reportNode(c)!.deps.underlays, ['underlay/sub-01']);
});

test('findPreprocT1w: the fMRIPrep T1w in the requested space (no space- entity = the T1w space)', async () => {
  const deriv = tmp();
  const anat = join(deriv, 'sub-01', 'anat');
  mkdirSync(anat, { recursive: true });
  for (const f of ['sub-01_space-MNI152NLin6Asym_desc-preproc_T1w.nii.gz', 'sub-01_desc-preproc_T1w.nii.gz', 'sub-01_desc-brain_mask.nii.gz']) writeFileSync(join(anat, f), '');
  assert.equal(await findPreprocT1w(deriv, '01', undefined), join(anat, 'sub-01_desc-preproc_T1w.nii.gz'));
  assert.equal(await findPreprocT1w(deriv, '01', 'T1w'), join(anat, 'sub-01_desc-preproc_T1w.nii.gz'));
  assert.equal(await findPreprocT1w(deriv, '01', 'MNI152NLin6Asym'), join(anat, 'sub-01_space-MNI152NLin6Asym_desc-preproc_T1w.nii.gz'));
  assert.equal(await findPreprocT1w(deriv, '01', 'fsLR'), undefined);
  assert.equal(await findPreprocT1w(deriv, '02', undefined), undefined);
  // sessions: anat under ses-*
  mkdirSync(join(deriv, 'sub-03', 'ses-a', 'anat'), { recursive: true });
  writeFileSync(join(deriv, 'sub-03', 'ses-a', 'anat', 'sub-03_ses-a_desc-preproc_T1w.nii.gz'), '');
  assert.equal(await findPreprocT1w(deriv, 'sub-03', undefined), join(deriv, 'sub-03', 'ses-a', 'anat', 'sub-03_ses-a_desc-preproc_T1w.nii.gz'));
});

test('the shipped MNI152 template and mask: 1 mm grid, nilearn origin, mask inside the head', async () => {
  assert.ok(isMni152Space('MNI152NLin2009cAsym') && isMni152Space('MNI152NLin6Asym') && !isMni152Space('T1w') && !isMni152Space(undefined));
  const { t1, mask } = await readMni152();
  assert.deepEqual(t1.dims.slice(0, 3), [197, 233, 189]);
  assert.deepEqual(t1.affine[0], [1, 0, 0, -98]);
  assert.deepEqual(mask.dims.slice(0, 3), [197, 233, 189]);
  let inMask = 0;
  let t1InMask = 0;
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i]) { inMask++; if (t1.data[i]! > 0) t1InMask++; }
  assert.ok(inMask > 1e6 && inMask < 2.5e6, `${inMask} brain voxels`);
  assert.ok(t1InMask >= 0.99 * inMask, `${t1InMask} of ${inMask} mask voxels have T1 signal`);
});
