/**
 * The spill file of a very long run (nodes/lib/spill.ts): its blocks hold exactly the rows the
 * in-memory reader produces (scaled on read as signalScaling scales the whole Y); it is a
 * tracked temporary, removed by close() after success and removed before the error
 * propagates when a write fails; a full temporaries disk is a clear UserError naming the
 * file and the size needed; the budget setting is validated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fixture } from '../helpers/paths.js';
import { readNifti } from '../../src/io/nifti.js';
import { UserError } from '../../src/errors.js';
import { liveTemporaries } from '../../src/io/temporaries.js';
import { signalScaling, type SignalScalingAxis } from '../../src/stats/first-level/signal-scaling.js';
import type { DesignMeta, MaskMeta } from '../../nodes/lib/artifacts.js';
import { readMaskedRun } from '../../nodes/lib/masked-bold.js';
import { fitMemoryBudget, setSpillWriteForTests, spillMaskedRun } from '../../nodes/lib/spill.js';

const FUNC = fixture('synth', 'derivatives', 'fmriprep', 'sub-01', 'func');
const BOLD = join(FUNC, 'sub-01_task-faces_run-1_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz');
const MASK = join(FUNC, 'sub-01_task-faces_run-1_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz');

async function inputs(sampleMask: number[] | null = null) {
  const m = await readNifti(MASK);
  const idx: number[] = [];
  m.data.forEach((v, i) => v !== 0 && idx.push(i));
  const indices = Int32Array.from(idx);
  const mask: MaskMeta = { dims: m.dims.slice(0, 3), affine: m.affine, nVoxels: idx.length, source: MASK };
  const nScans = (await readNifti(BOLD)).dims[3];
  const dm: DesignMeta = { columns: ['c'], nScans, tr: 2, warnings: [], run: 'run-1', sampleMask };
  return { mask, indices, dm };
}

for (const scaling of [0, 1, [0, 1], false] as (SignalScalingAxis | false)[]) {
  test(`spill blocks = the in-memory rows, scaled on read (signal_scaling ${JSON.stringify(scaling)}); the file is removed by close()`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glmflow-spillfile-'));
    try {
      const { mask, indices, dm } = await inputs(scaling === 1 ? [0, 1, 2, 5, 8, 9, 10, 11, 40, 70, 71, 109] : null);
      const ref = await readMaskedRun(BOLD, mask, indices, dm, 5);
      const n = ref.keep.length;
      const nm = indices.length;
      const scaled = scaling === false ? ref.y : signalScaling(ref.y, n, scaling).scaled;
      // budget: blocks of 4 * floor(budget / 16 / (4 n)) voxels, a few rows per write
      const spilled = await spillMaskedRun(BOLD, mask, indices, dm, 5, { dir, budgetBytes: 40 * 4 * 4 * n, scaling });
      try {
        assert.equal(spilled.blockSize, 40);
        assert.ok(spilled.nBlocks > 10 && nm % 40 !== 0, 'several blocks, the last one shorter');
        assert.equal(readdirSync(dir).length, 1);
        assert.ok(liveTemporaries().includes(spilled.path));
        for (let b = spilled.nBlocks - 1; b >= 0; b--) {
          const { v0, len, y } = spilled.read(b);
          for (let t = 0; t < n; t++) {
            for (let i = 0; i < len; i++) {
              if (!Object.is(y[t * len + i], scaled[t * nm + v0 + i])) assert.fail(`block ${b}, scan ${t}, voxel ${v0 + i}: ${y[t * len + i]} != ${scaled[t * nm + v0 + i]}`);
            }
          }
        }
      } finally {
        spilled.close();
      }
      assert.deepEqual(readdirSync(dir), [], 'removed after success');
      assert.ok(!liveTemporaries().includes(spilled.path));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a full temporaries disk while spilling: a UserError naming the file and the size, and no file left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-spillfull-'));
  const { mask, indices, dm } = await inputs();
  let calls = 0;
  // the third write is short, the fourth finds the disk full (returns 0 bytes, as write(2) can)
  setSpillWriteForTests((_fd, data) => (++calls === 3 ? Math.floor(data.length / 2) : calls >= 5 ? 0 : data.length));
  try {
    await assert.rejects(
      spillMaskedRun(BOLD, mask, indices, dm, null, { dir, budgetBytes: 64 * 1024, scaling: 0 }),
      (e: unknown) => e instanceof UserError && /no space left on the temporaries disk/.test(e.message) && e.message.includes(dir) && /GiB needed/.test(e.message) && /TMPDIR/.test(e.message),
    );
    assert.ok(calls >= 5);
    assert.deepEqual(readdirSync(dir), [], 'the partial spill file was removed');
    assert.deepEqual(liveTemporaries().filter((p) => p.startsWith(dir)), []);
    // any other write error: removed as well, the error passes through
    setSpillWriteForTests(() => {
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    });
    await assert.rejects(spillMaskedRun(BOLD, mask, indices, dm, null, { dir, budgetBytes: 64 * 1024, scaling: 0 }), /EIO/);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    setSpillWriteForTests(undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the fit memory budget: GLMFLOW_FIT_MEMORY_MB in MiB, 512 MiB by default, refused when not a positive number', () => {
  assert.equal(fitMemoryBudget({}), 512 * 2 ** 20);
  assert.equal(fitMemoryBudget({ GLMFLOW_FIT_MEMORY_MB: '2048' }), 2 ** 31);
  assert.equal(fitMemoryBudget({ GLMFLOW_FIT_MEMORY_MB: '0.5' }), 2 ** 19);
  for (const bad of ['0', '-1', 'lots', 'Infinity']) {
    assert.throws(() => fitMemoryBudget({ GLMFLOW_FIT_MEMORY_MB: bad }), (e: unknown) => e instanceof UserError && e.message.includes(`GLMFLOW_FIT_MEMORY_MB=${bad}`));
  }
});

test('an error in the fit after the spill: the spill file is removed before the error propagates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-spillerr-'));
  const { mask, indices, dm } = await inputs();
  const { fitSpilled } = await import('../../nodes/lib/fit-spilled.js');
  const progress: string[] = [];
  try {
    await assert.rejects(fitSpilled({ progress: (_f, m) => m && progress.push(m), scratchDir: dir }, {
      bold: BOLD, mask, indices, dm, design: new Float64Array(dm.nScans).fill(1), run: 'run-1', noiseModel: 'arma', bins: 100,
      fwhm: null, scaling: 0, budgetBytes: 64 * 1024,
    }, {}), /noise models/);
    assert.ok(progress.some((m) => m.startsWith('spilling')), 'the run was spilled before the failure');
    assert.deepEqual(readdirSync(dir), []);
    assert.deepEqual(liveTemporaries().filter((p) => p.startsWith(dir)), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
