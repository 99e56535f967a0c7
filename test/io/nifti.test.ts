import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isUserError } from '../../src/errors.js';
import { readNifti, readNiftiHeader, sameGrid, voxelSizes } from '../../src/io/nifti.js';
import { affineToQuatern, quaternToAffine } from '../../src/io/nifti-quatern.js';
import { examplesDir, fixture } from '../helpers/paths.js';
import { buildNifti, type Dtype } from './nifti-bytes.js';

const FORREST = join(examplesDir, 'studyforrest-localizer', 'sub-01', 'func', 'sub-01_task-localizer_run-1_bold.nii.gz');

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'glmflow-nifti-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function assertClose(actual: number[][], expected: number[][], tol: number, what = 'affine'): void {
  for (let r = 0; r < expected.length; r++)
    for (let c = 0; c < expected[r].length; c++)
      assert.ok(Math.abs(actual[r][c] - expected[r][c]) <= tol, `${what}[${r}][${c}]: ${actual[r][c]} vs ${expected[r][c]}`);
}

/** Asserts that `p` rejects with a UserError whose message contains every fragment. */
async function rejectsUser(p: Promise<unknown>, ...fragments: string[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isUserError(e), `expected a UserError, got ${String(e)}`);
    for (const f of fragments) assert.ok((e as Error).message.includes(f), `message '${(e as Error).message}' lacks '${f}'`);
    return true;
  });
}

describe('readNifti: studyforrest BOLD (int16, scl_slope, oblique, qfac -1)', () => {
  it('header values match a hand parse (python struct on the raw bytes)', async () => {
    const h = await readNiftiHeader(FORREST);
    assert.equal(h.version, 1);
    assert.deepEqual(h.dims, [80, 80, 35, 156]);
    assert.deepEqual(h.pixdim, [3, 3, Math.fround(3.3), 2]);
    assert.equal(h.datatype, 'int16');
    assert.equal(h.sclSlope, Math.fround(75.5383529663086));
    assert.equal(h.sclInter, 0);
    assert.equal(h.xyzUnits, 'mm');
    assert.equal(h.tUnits, 'sec');
    assert.equal(h.sformCode, 1);
    assert.equal(h.qformCode, 1);
    // srow_x/y/z as stored
    assertClose(h.affine, [
      [-2.9994144439697266, 0.04437161237001419, 0.043218452483415604, 116.11931610107422],
      [0.03428447246551514, 2.92128849029541, -0.7500181198120117, -87.93598937988281],
      [0.04834336042404175, 0.6812525987625122, 3.213347911834717, -54.290836334228516],
      [0, 0, 0, 1],
    ], 1e-12);
    // voxel sizes from the affine agree with pixdim
    const vs = voxelSizes(h.affine);
    assert.ok(Math.abs(vs[0] - 3) < 1e-3 && Math.abs(vs[1] - 3) < 1e-3 && Math.abs(vs[2] - 3.3) < 1e-3, `${vs}`);
  });

  it('its qform (quaternion, qfac = -1) reproduces its sform', () => {
    // quatern_b/c/d, qoffset from the header (python struct), pixdim[0] = -1
    const A = quaternToAffine({
      b: -0.006598276551812887, c: -0.9933918714523315, d: -0.1143462136387825,
      qx: 116.11931610107422, qy: -87.93598937988281, qz: -54.290836334228516,
      dx: 3, dy: 3, dz: Math.fround(3.3), qfac: -1,
    });
    assertClose(A, [
      [-2.9994144439697266, 0.04437161237001419, 0.043218452483415604, 116.11931610107422],
      [0.03428447246551514, 2.92128849029541, -0.7500181198120117, -87.93598937988281],
      [0.04834336042404175, 0.6812525987625122, 3.213347911834717, -54.290836334228516],
      [0, 0, 0, 1],
    ], 1e-4); // the scanner's sform has a little shear that a qform cannot hold (measured 2e-5)
  });

  it('voxel values are int16 * scl_slope (sums and single values from python)', async () => {
    const t0 = performance.now();
    const img = await readNifti(FORREST);
    const ms = performance.now() - t0;
    assert.equal(img.data.length, 80 * 80 * 35 * 156);
    const slope = Math.fround(75.5383529663086);
    // python: array('h') of the voxel bytes: a[100000] = 1, a[1234567] = 0, max = 822,
    // sum = 3105268972
    assert.equal(img.data[100000], Math.fround(slope));
    assert.equal(img.data[1234567], 0);
    let sum = 0;
    let max = -Infinity;
    for (let i = 0; i < img.data.length; i++) {
      sum += img.data[i];
      if (img.data[i] > max) max = img.data[i];
    }
    assert.equal(max, Math.fround(822 * slope));
    assert.ok(Math.abs(sum / slope - 3105268972) / 3105268972 < 1e-9, `sum/slope ${sum / slope}`);
    console.log(`  studyforrest BOLD (24 MB .nii.gz, 70 MB int16) read in ${ms.toFixed(0)} ms`);
  });
});

describe('readNifti: hand-built files, every datatype, both byte orders, both versions', () => {
  const cases: { dtype: Dtype; values: number[] }[] = [
    { dtype: 'uint8', values: [0, 1, 7, 255, 128, 3, 9, 200] },
    { dtype: 'int8', values: [-128, -1, 0, 1, 127, 5, -5, 64] },
    { dtype: 'int16', values: [-32768, -2, 0, 3, 32767, 1000, -1000, 7] },
    { dtype: 'uint16', values: [0, 65535, 1, 2, 40000, 5, 6, 7] },
    { dtype: 'int32', values: [-2147483648, 2147483647, 0, -1, 1, 100000, -100000, 42] },
    { dtype: 'uint32', values: [0, 4294967295, 1, 2, 3000000000, 5, 6, 7] },
    { dtype: 'float32', values: [0.1, -2.5, NaN, Infinity, -0, 1e-30, 3.4e38, 7.25] },
    { dtype: 'float64', values: [0.1, -2.5, NaN, -Infinity, 1e-300, 1e300, 123456.789, 7.25] },
    { dtype: 'int64', values: [-5, 0, 5, 2 ** 40, -(2 ** 40), 1, 2, 3] },
  ];
  for (const version of [1, 2] as const) {
    for (const le of [true, false]) {
      for (const { dtype, values } of cases) {
        it(`NIfTI-${version} ${le ? 'LE' : 'BE'} ${dtype}`, async () => {
          const bytes = buildNifti({ version, littleEndian: le, dtype, dims: [2, 2, 2], values, pixdim: [1, 2, 3, 4, 0] });
          const f = join(dir, `v${version}-${le ? 'le' : 'be'}-${dtype}.nii`);
          await writeFile(f, bytes);
          await writeFile(f + '.gz', gzipSync(bytes));
          for (const path of [f, f + '.gz']) {
            const img = await readNifti(path);
            assert.equal(img.version, version);
            assert.equal(img.datatype, dtype);
            assert.deepEqual(img.dims, [2, 2, 2, 1]);
            assert.deepEqual(Array.from(img.data), values.map((v) => Math.fround(v)));
            // no sform/qform -> diag(pixdim)
            assert.deepEqual(img.affine, [[2, 0, 0, 0], [0, 3, 0, 0], [0, 0, 4, 0], [0, 0, 0, 1]]);
          }
        });
      }
    }
  }

  it('NIfTI-2 (540-byte header) with scaling, sform, a 4D grid and an extension gap, gzipped', async () => {
    const values = Array.from({ length: 3 * 2 * 2 * 5 }, (_, i) => i - 10);
    const srow = [[-2, 0, 0, 90.5], [0, 2.5, 0, -126], [0, 0, 3, -72]];
    const bytes = buildNifti({
      version: 2, littleEndian: true, dtype: 'int16', dims: [3, 2, 2, 5], values,
      pixdim: [1, 2, 2.5, 3, 1.5], slope: 0.5, inter: 10, sformCode: 4, srow, xyztUnits: 2 | 8, extensionPad: 32,
    });
    assert.equal(bytes.readInt32LE(0), 540);
    const f = join(dir, 'n2.nii.gz');
    await writeFile(f, gzipSync(bytes));
    const img = await readNifti(f);
    assert.equal(img.version, 2);
    assert.deepEqual(img.dims, [3, 2, 2, 5]);
    assert.deepEqual(img.pixdim, [2, 2.5, 3, 1.5]);
    assert.equal(img.sformCode, 4);
    assert.equal(img.tUnits, 'sec');
    assert.deepEqual(img.affine, [...srow, [0, 0, 0, 1]]);
    assert.deepEqual(Array.from(img.data), values.map((v) => v * 0.5 + 10));
    const h = await readNiftiHeader(f);
    assert.deepEqual(h.dims, img.dims);
    assert.equal(h.sclSlope, 0.5);
  });

  it('scl_slope 0 means no scaling; NaN slope too', async () => {
    for (const slope of [0, NaN]) {
      const f = join(dir, `noscale-${slope}.nii`);
      await writeFile(f, buildNifti({ version: 1, littleEndian: true, dtype: 'int16', dims: [2, 1, 1], values: [3, -4], slope, inter: 100 }));
      assert.deepEqual(Array.from((await readNifti(f)).data), [3, -4]);
    }
  });

  it('qform only: a 90° rotation about z (d = sin 45°) with qfac -1', async () => {
    const s = Math.SQRT1_2;
    const f = join(dir, 'qform.nii');
    await writeFile(f, buildNifti({
      version: 1, littleEndian: true, dtype: 'uint8', dims: [1, 1, 1], values: [1],
      pixdim: [-1, 2, 3, 4, 1], qformCode: 1, quatern: [0, 0, s, 10, 20, 30],
    }));
    const h = await readNiftiHeader(f);
    // R = [[0,-1,0],[1,0,0],[0,0,1]], columns scaled by (2, 3, -4)
    assertClose(h.affine, [[0, -3, 0, 10], [2, 0, 0, 20], [0, 0, -4, 30], [0, 0, 0, 1]], 1e-6);
  });

  it('affineToQuatern inverts quaternToAffine (oblique, both handedness, near-180° rotations)', () => {
    // a shear-free oblique affine: a rotation from a quaternion, scaled, with qfac -1
    const oblique = quaternToAffine({ b: 0.1, c: -0.3, d: 0.2, qx: 5, qy: -6, qz: 7, dx: 2, dy: 3, dz: 3.5, qfac: -1 });
    const affines = [
      oblique,
      [[-2.9994144439697266, 0.04437161237001419, 0.043218452483415604, 116.1], [0.03428447246551514, 2.92128849029541, -0.7500181198120117, -87.9], [0.04834336042404175, 0.6812525987625122, 3.213347911834717, -54.3], [0, 0, 0, 1]],
      [[-4, 0, 0, 90], [0, 4, 0, -126], [0, 0, 4, -72], [0, 0, 0, 1]],
      [[-1, 0, 0, 0], [0, -2, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]], // 180° about z
      [[1, 0, 0, 0], [0, -2, 0, 0], [0, 0, -3, 0], [0, 0, 0, 1]], // 180° about x
      [[-1, 0, 0, 0], [0, 2, 0, 0], [0, 0, -3, 0], [0, 0, 0, 1]], // 180° about y
      [[0, 0, 2, 1], [3, 0, 0, 2], [0, 4, 0, 3], [0, 0, 0, 1]], // axis permutation
    ];
    for (const A of affines.slice(0, 1).concat(affines.slice(2))) assertClose(quaternToAffine(affineToQuatern(A)), A, 1e-9);
    // the studyforrest sform has a little shear: the qform is its nearest rotation
    assertClose(quaternToAffine(affineToQuatern(affines[1])), affines[1], 1e-4);
    const q = affineToQuatern(oblique);
    assert.equal(q.qfac, -1);
    assertClose([[q.b, q.c, q.d]], [[0.1, -0.3, 0.2]], 1e-12, 'quaternion');
    // determinant sign -> qfac
    assert.equal(affineToQuatern(affines[2]).qfac, -1);
    assert.equal(affineToQuatern(affines[6]).qfac, 1);
  });

  it('voxelSizes and sameGrid', () => {
    const A = [[-4, 0, 0, 90], [0, 4, 0, -126], [0, 0, 4, -72], [0, 0, 0, 1]];
    assert.deepEqual(voxelSizes([[0, 0, 2, 0], [3, 0, 0, 0], [0, 4, 0, 0], [0, 0, 0, 1]]), [3, 4, 2]);
    const a = { dims: [10, 10, 10, 100], affine: A };
    assert.ok(sameGrid(a, { dims: [10, 10, 10, 1], affine: A.map((r) => r.map((v) => v + 5e-5)) }));
    assert.ok(!sameGrid(a, { dims: [10, 10, 10, 1], affine: A.map((r) => r.map((v) => v + 5e-4)) }));
    assert.ok(!sameGrid(a, { dims: [10, 10, 11, 1], affine: A }));
  });
});

describe('readNifti: user errors name the file', () => {
  it('missing file', async () => {
    const f = join(dir, 'nope.nii.gz');
    await rejectsUser(readNifti(f), f, 'not found');
    await rejectsUser(readNiftiHeader(f), f, 'not found');
  });

  it('not a NIfTI (text, and gzipped text)', async () => {
    const f = join(dir, 'text.nii');
    await writeFile(f, 'onset\tduration\n1\t2\n'.repeat(40));
    await rejectsUser(readNifti(f), f, 'not a NIfTI');
    await rejectsUser(readNiftiHeader(f), f, 'not a NIfTI');
    await writeFile(f + '.gz', gzipSync(await readFile(f)));
    await rejectsUser(readNifti(f + '.gz'), f + '.gz', 'not a NIfTI');
  });

  it('truncated .nii.gz and .nii: expected N bytes of voxel data, found M', async () => {
    const bytes = buildNifti({ version: 1, littleEndian: true, dtype: 'float32', dims: [10, 10, 10], values: Array.from({ length: 1000 }, (_, i) => Math.sin(i)) });
    const f = join(dir, 'trunc.nii');
    await writeFile(f, bytes.subarray(0, 352 + 2000));
    await rejectsUser(readNifti(f), f, 'expected 4000 bytes of voxel data, found 2000');
    const gz = gzipSync(bytes);
    await writeFile(f + '.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    await rejectsUser(readNifti(f + '.gz'), f + '.gz', 'truncated', 'expected 4000 bytes of voxel data');
    // a real fixture cut short
    const real = await readFile(fixture('first_level', 'ols_run1_F', 'r_square.nii.gz'));
    const g = join(dir, 'r_square_cut.nii.gz');
    await writeFile(g, real.subarray(0, real.length - 100));
    await rejectsUser(readNifti(g), g, 'truncated');
    // readNiftiHeader inflates only the first bytes: it still works on the cut file
    const h = await readNiftiHeader(g);
    assert.deepEqual(h.dims.slice(0, 3), (await readNiftiHeader(fixture('first_level', 'ols_run1_F', 'r_square.nii.gz'))).dims.slice(0, 3));
    // header cut short
    await writeFile(f, bytes.subarray(0, 200));
    await rejectsUser(readNifti(f), f, 'truncated');
  });

  it('unsupported datatype and 5D images', async () => {
    const bytes = buildNifti({ version: 1, littleEndian: true, dtype: 'float32', dims: [1, 1, 1], values: [1] });
    bytes.writeInt16LE(32, 70); // complex64
    const f = join(dir, 'complex.nii');
    await writeFile(f, bytes);
    await rejectsUser(readNifti(f), f, 'complex64');
    const five = buildNifti({ version: 1, littleEndian: true, dtype: 'uint8', dims: [1, 1, 1, 1, 2], values: [1, 2] });
    await writeFile(f, five);
    await rejectsUser(readNifti(f), f, '5D');
  });
});

describe('readNiftiHeader: affine by nibabel rules, header from a partial stream, magic errors', () => {
  const srow = [[-2, 0, 0, 90], [0, 2, 0, -126], [0, 0, 2, -72]];
  const s = Math.SQRT1_2;
  for (const version of [1, 2] as const) {
    for (const le of [true, false]) {
      it(`NIfTI-${version} ${le ? 'LE' : 'BE'}: the sform wins whenever sform_code > 0, even with a higher qform_code`, async () => {
        const f = join(dir, `sq-${version}-${le}.nii`);
        await writeFile(f, buildNifti({
          version, littleEndian: le, dtype: 'uint8', dims: [1, 1, 1], values: [1],
          pixdim: [1, 2, 3, 4, 1], qformCode: 2, sformCode: 1, quatern: [0, 0, s, 10, 20, 30], srow,
        }));
        const h = await readNiftiHeader(f);
        assert.deepEqual([h.qformCode, h.sformCode], [2, 1]);
        assert.deepEqual(h.affine, [...srow, [0, 0, 0, 1]]);
      });
    }
  }

  it('a .nii.gz cut right after the header: the header is read from the partially inflated stream', async () => {
    const values = Array.from({ length: 4 * 4 * 4 * 3 }, (_, i) => i);
    const bytes = buildNifti({ version: 2, littleEndian: false, dtype: 'int16', dims: [4, 4, 4, 3], values, pixdim: [1, 2, 2, 2, 1.5], sformCode: 1, srow });
    const gz = gzipSync(bytes);
    const f = join(dir, 'cut.nii.gz');
    await writeFile(f, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const h = await readNiftiHeader(f);
    assert.deepEqual([h.version, h.dims, h.pixdim], [2, [4, 4, 4, 3], [2, 2, 2, 1.5]]);
    assert.deepEqual(h.affine, [...srow, [0, 0, 0, 1]]);
    await rejectsUser(readNifti(f), f, 'truncated');
  });

  it('hdr/img pairs and ANALYZE files are refused naming the file', async () => {
    for (const [version, magic, at, fragment] of [
      [1, 'ni1\0', 344, 'header/image pairs'],
      [2, 'ni2\0', 4, 'header/image pairs'],
      [1, '\0\0\0\0', 344, 'ANALYZE'],
    ] as const) {
      const bytes = buildNifti({ version, littleEndian: true, dtype: 'uint8', dims: [1, 1, 1], values: [1] });
      bytes.write(magic, at, 'latin1');
      const f = join(dir, `magic-${version}-${at}-${magic.charCodeAt(0)}.nii`);
      await writeFile(f, bytes);
      await rejectsUser(readNiftiHeader(f), f, fragment);
    }
  });
});
