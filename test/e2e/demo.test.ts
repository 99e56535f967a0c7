/**
 * The README's demo: pipelines/localizer.yaml on the bundled studyforrest run.
 * faceVsScene must show the right fusiform face area (positive peak near
 * x=39, y=-37, z=-18 mm) and scene-selective parahippocampal cortex on both sides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { glmflow } from '../helpers/cli.js';
import { projectRoot } from '../helpers/paths.js';
import { peakMm } from '../helpers/compare.js';
import { readNifti } from '../../src/io/nifti.js';
import { checkReportInBrowser } from '../helpers/report-browser.js';

test('demo localizer: faceVsScene peaks in right fusiform and bilateral parahippocampal cortex', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-demo-'));
  const out = join(dir, 'out');
  const r = await glmflow(['run', join(projectRoot, 'pipelines', 'localizer.yaml'), '--out', out, '--cache', join(dir, 'cache'), '--ui', 'plain']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, new RegExp(out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const sub = join(out, 'first_level', 'sub-01');
  for (const c of ['faceVsScene', 'faceVsBaseline', 'houseVsScene', 'faceVsOthers']) {
    for (const s of ['z', 't', 'effect', 'variance', 'p']) assert.ok(existsSync(join(sub, `sub-01_contrast-${c}_stat-${s}.nii.gz`)), `${c} ${s}`);
  }
  const z = await readNifti(join(sub, 'sub-01_contrast-faceVsScene_stat-z.nii.gz'));
  const pos = peakMm(z.data, z.dims, z.affine, 1);
  const dist = Math.hypot(pos.mm[0] - 39, pos.mm[1] + 37, pos.mm[2] + 18);
  t.diagnostic(`positive peak z=${pos.value.toFixed(2)} at ${pos.mm.map((v) => v.toFixed(1)).join(', ')} (${dist.toFixed(1)} mm from 39,-37,-18)`);
  assert.ok(dist <= 8, `positive peak ${pos.mm} is ${dist} mm away`);
  assert.ok(pos.value > 5);
  for (const side of [-1, 1]) {
    const neg = peakMm(z.data, z.dims, z.affine, -1, (mm) => side * mm[0] > 0);
    t.diagnostic(`negative peak (${side < 0 ? 'left' : 'right'}) z=${neg.value.toFixed(2)} at ${neg.mm.map((v) => v.toFixed(1)).join(', ')}`);
    // parahippocampal / collateral sulcus: medial-ventral temporal lobe
    assert.ok(Math.abs(neg.mm[0]) >= 15 && Math.abs(neg.mm[0]) <= 40, `x ${neg.mm[0]}`);
    assert.ok(neg.mm[1] <= -5 && neg.mm[1] >= -55, `y ${neg.mm[1]}`);
    assert.ok(neg.mm[2] <= 5 && neg.mm[2] >= -25, `z ${neg.mm[2]}`);
    assert.ok(neg.value < -5);
  }
  assert.ok(existsSync(join(out, 'report.html')));
  // the report as a reader opens it (from disk, in Chromium), on the faceVsScene map
  await checkReportInBrowser(t, out, { name: 'localizer', slot: '#viewer-sub-01-faceVsScene-z' });
  rmSync(dir, { recursive: true, force: true });
});
