/**
 * Hand-built NIfTI-1 / NIfTI-2 files for the reader tests (independent of src/io/nifti-write.ts,
 * so a shared bug cannot hide). Offsets are those of nifti1.h / nifti2.h.
 */

export type Dtype = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64' | 'int64';

export const CODES: Record<Dtype, [number, number]> = {
  uint8: [2, 1],
  int8: [256, 1],
  int16: [4, 2],
  uint16: [512, 2],
  int32: [8, 4],
  uint32: [768, 4],
  float32: [16, 4],
  float64: [64, 8],
  int64: [1024, 8],
};

export interface HandImage {
  version: 1 | 2;
  littleEndian: boolean;
  dtype: Dtype;
  dims: number[]; // 3 or 4 entries
  values: number[]; // raw stored values
  pixdim?: number[]; // [qfac, dx, dy, dz, dt]
  slope?: number;
  inter?: number;
  qformCode?: number;
  sformCode?: number;
  quatern?: number[]; // b, c, d, qx, qy, qz
  srow?: number[][]; // 3 x 4
  xyztUnits?: number;
  /** Extra bytes between header end and the voxel data (vox_offset grows accordingly). */
  extensionPad?: number;
}

function writeValue(dv: DataView, off: number, dtype: Dtype, v: number, le: boolean): void {
  switch (dtype) {
    case 'uint8': dv.setUint8(off, v); break;
    case 'int8': dv.setInt8(off, v); break;
    case 'int16': dv.setInt16(off, v, le); break;
    case 'uint16': dv.setUint16(off, v, le); break;
    case 'int32': dv.setInt32(off, v, le); break;
    case 'uint32': dv.setUint32(off, v, le); break;
    case 'float32': dv.setFloat32(off, v, le); break;
    case 'float64': dv.setFloat64(off, v, le); break;
    case 'int64': dv.setBigInt64(off, BigInt(v), le); break;
  }
}

/** Bytes of a single-file (.nii) image. */
export function buildNifti(img: HandImage): Buffer {
  const le = img.littleEndian;
  const [code, bpv] = CODES[img.dtype];
  const hsize = img.version === 1 ? 348 : 540;
  const voxOffset = hsize + 4 + (img.extensionPad ?? 0);
  const buf = Buffer.alloc(voxOffset + img.values.length * bpv);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const ndim = img.dims.length;
  const dim = [ndim, ...img.dims];
  while (dim.length < 8) dim.push(1);
  const pix = img.pixdim ?? [1, 1, 1, 1, 1];
  const pixdim = [...pix];
  while (pixdim.length < 8) pixdim.push(1);
  const quat = img.quatern ?? [0, 0, 0, 0, 0, 0];
  const srow = img.srow ?? [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]];
  dv.setInt32(0, hsize, le);
  if (img.version === 1) {
    dim.forEach((v, i) => dv.setInt16(40 + 2 * i, v, le));
    dv.setInt16(70, code, le);
    dv.setInt16(72, bpv * 8, le);
    pixdim.forEach((v, i) => dv.setFloat32(76 + 4 * i, v, le));
    dv.setFloat32(108, voxOffset, le);
    dv.setFloat32(112, img.slope ?? 0, le);
    dv.setFloat32(116, img.inter ?? 0, le);
    dv.setUint8(123, img.xyztUnits ?? 10);
    dv.setInt16(252, img.qformCode ?? 0, le);
    dv.setInt16(254, img.sformCode ?? 0, le);
    quat.forEach((v, i) => dv.setFloat32(256 + 4 * i, v, le));
    srow.forEach((row, r) => row.forEach((v, c) => dv.setFloat32(280 + 16 * r + 4 * c, v, le)));
    buf.write('n+1\0', 344, 'latin1');
  } else {
    buf.write('n+2\0\r\n\x1a\n', 4, 'latin1');
    dv.setInt16(12, code, le);
    dv.setInt16(14, bpv * 8, le);
    dim.forEach((v, i) => dv.setBigInt64(16 + 8 * i, BigInt(v), le));
    pixdim.forEach((v, i) => dv.setFloat64(104 + 8 * i, v, le));
    dv.setBigInt64(168, BigInt(voxOffset), le);
    dv.setFloat64(176, img.slope ?? 0, le);
    dv.setFloat64(184, img.inter ?? 0, le);
    dv.setInt32(344, img.qformCode ?? 0, le);
    dv.setInt32(348, img.sformCode ?? 0, le);
    quat.forEach((v, i) => dv.setFloat64(352 + 8 * i, v, le));
    srow.forEach((row, r) => row.forEach((v, c) => dv.setFloat64(400 + 32 * r + 8 * c, v, le)));
    dv.setInt32(500, img.xyztUnits ?? 10, le);
  }
  img.values.forEach((v, i) => writeValue(dv, voxOffset + i * bpv, img.dtype, v, le));
  return buf;
}
