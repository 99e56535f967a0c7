/**
 * streamNiftiVolumes: the volume-by-volume reader gives exactly readNifti's values for the
 * voxels it is asked for, whatever the file layout (gzip or not, either byte order, NIfTI-1
 * or 2, scaled integers, float32 with NaN, extensions), touches nothing else, skips volumes
 * it is not asked for, and reports truncated files like readNifti.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isUserError } from '../../src/errors.js';
import { boxSelection, readNifti, streamNiftiVolumes, type RowSelection } from '../../src/io/nifti.js';
import { buildNifti, type HandImage } from './nifti-bytes.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'glmflow-nifti-stream-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const DIMS = [5, 4, 3, 6];
const NV = 5 * 4 * 3;

function image(overrides: Partial<HandImage>): HandImage {
  const values = Array.from({ length: NV * DIMS[3] }, (_, i) => ((i * 7919) % 601) - 300);
  return { version: 1, littleEndian: true, dtype: 'int16', dims: DIMS, values, slope: 0.37, inter: -2.5, ...overrides };
}

async function write(name: string, img: HandImage, gz: boolean): Promise<string> {
  const path = join(dir, name + (gz ? '.nii.gz' : '.nii'));
  const bytes = buildNifti(img);
  await writeFile(path, gz ? gzipSync(bytes) : bytes);
  return path;
}

/** Volumes as streamed (copied, since the reader reuses its buffer). */
async function collect(path: string, opts: { select?: RowSelection; volumes?: number[]; into?: Float32Array } = {}) {
  const got: { t: number; v: Float32Array }[] = [];
  const info = await streamNiftiVolumes(path, {
    select: opts.select ? () => opts.select : undefined,
    volumes: opts.volumes,
    into: opts.into,
    onVolume: (t, v) => {
      got.push({ t, v: v.slice(0, NV) });
    },
  });
  return { got, info };
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

describe('streamNiftiVolumes', () => {
  const layouts: [string, Partial<HandImage>][] = [
    ['int16 LE scaled', {}],
    ['int16 BE scaled', { littleEndian: false }],
    ['NIfTI-2 uint16 with extension', { version: 2, dtype: 'uint16', values: Array.from({ length: NV * 6 }, (_, i) => (i * 131) % 65535), extensionPad: 16 }],
    ['float32 with NaN and Inf', { dtype: 'float32', slope: 0, inter: 0, values: Array.from({ length: NV * 6 }, (_, i) => (i % 17 === 0 ? NaN : i % 23 === 0 ? Infinity : i / 7 - 3)) }],
    ['float64 BE', { dtype: 'float64', littleEndian: false, slope: 2, inter: 1, values: Array.from({ length: NV * 6 }, (_, i) => Math.sin(i)) }],
  ];
  for (const [name, o] of layouts) {
    for (const gz of [false, true]) {
      it(`every volume equals readNifti's (${name}, ${gz ? '.nii.gz' : '.nii'})`, async () => {
        const path = await write(`${name.replace(/\W+/g, '_')}`, image(o), gz);
        const full = await readNifti(path);
        const { got, info } = await collect(path);
        assert.deepEqual(info.dims, full.dims);
        assert.deepEqual(got.map((g) => g.t), [0, 1, 2, 3, 4, 5]);
        for (const { t, v } of got) sameBits(v, full.data.subarray(t * NV, (t + 1) * NV), `t=${t}`);
        for (const k of ['waitSeconds', 'decodeSeconds', 'consumeSeconds'] as const) assert.ok(info.stats[k] >= 0);
      });
    }
  }

  it('decodes only the selected rows and volumes, into the given buffer', async () => {
    const path = await write('sel', image({}), true);
    const full = await readNifti(path);
    // rows: a box plus one odd row range
    const sel = boxSelection([5, 4, 3], [1, 1, 0], [3, 2, 1]);
    sel.xLo[3 + 4 * 2] = 0; // row y=3, z=2: x in [0, 2)
    sel.xHi[3 + 4 * 2] = 2;
    const into = new Float32Array(NV + 3).fill(-12345);
    const { got } = await collect(path, { select: sel, volumes: [1, 4, 5], into });
    assert.deepEqual(got.map((g) => g.t), [1, 4, 5]);
    for (const { t, v } of got) {
      for (let i = 0; i < NV; i++) {
        const r = Math.floor(i / 5);
        const x = i % 5;
        const wanted = x >= sel.xLo[r] && x < sel.xHi[r];
        assert.equal(v[i], wanted ? full.data[t * NV + i] : -12345, `t=${t} voxel ${i}`);
      }
    }
    assert.equal(into[NV], -12345, 'nothing written past the volume');
  });

  it('gathers a sparse selection across inflate chunks (volumes straddling the 2 MiB chunk boundaries)', async () => {
    const dims = [64, 48, 40, 20]; // 245 760 bytes per volume, 4.9 MB in all
    const nv = 64 * 48 * 40;
    const values = Array.from({ length: nv * 20 }, (_, i) => ((i * 7919) % 20011) - 10000);
    // a ball of rows with ranges of varying length, and whole slices left out
    const sel: RowSelection = { xLo: new Int32Array(48 * 40), xHi: new Int32Array(48 * 40) };
    for (let z = 3; z < 37; z++)
      for (let y = 0; y < 48; y++) {
        const d = ((y - 24) / 24) ** 2 + ((z - 20) / 17) ** 2;
        if (d >= 1 || (y + z) % 7 === 0) continue;
        const half = Math.round(30 * Math.sqrt(1 - d));
        sel.xLo[y + 48 * z] = 32 - half;
        sel.xHi[y + 48 * z] = 32 + half - (z % 3);
      }
    for (const littleEndian of [true, false]) {
      const path = await write(`chunks-${littleEndian}`, { version: 1, littleEndian, dtype: 'int16', dims, values, slope: 0.5, inter: 1 }, true);
      const full = await readNifti(path);
      const into = new Float32Array(nv).fill(-12345);
      let n = 0;
      await streamNiftiVolumes(path, {
        select: () => sel,
        into,
        onVolume: (t, v) => {
          n++;
          for (let i = 0; i < nv; i++) {
            const r = Math.floor(i / 64);
            const x = i % 64;
            const wanted = x >= sel.xLo[r] && x < sel.xHi[r];
            if (!Object.is(v[i], wanted ? full.data[t * nv + i] : -12345)) assert.fail(`LE=${littleEndian} t=${t} voxel ${i}: ${v[i]}`);
          }
        },
      });
      assert.equal(n, 20);
    }
  });

  it('stops after the last wanted volume and rejects volumes that do not exist', async () => {
    const path = await write('early', image({}), true);
    const { got } = await collect(path, { volumes: [0] });
    assert.deepEqual(got.map((g) => g.t), [0]);
    await assert.rejects(collect(path, { volumes: [6] }), (e: unknown) => isUserError(e) && /no volume 6/.test((e as Error).message));
  });

  it('reports a truncated file as readNifti does', async () => {
    const bytes = buildNifti(image({}));
    const path = join(dir, 'trunc.nii.gz');
    await writeFile(path, gzipSync(bytes).subarray(0, 200 + Math.floor(bytes.length / 8)));
    await assert.rejects(collect(path), (e: unknown) => isUserError(e) && /truncated/.test((e as Error).message));
    const plain = join(dir, 'trunc.nii');
    await writeFile(plain, bytes.subarray(0, bytes.length - 10));
    await assert.rejects(collect(plain), (e: unknown) => isUserError(e) && /truncated NIfTI file: expected \d+ bytes/.test((e as Error).message));
  });
});
