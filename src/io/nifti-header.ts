/**
 * NIfTI-1 / NIfTI-2 header parsing from the raw header bytes.
 *
 * The header is parsed by hand rather than with nifti-reader-js: both layouts are fixed tables
 * of ~30 fields, and hand parsing lets the reader stream the voxel data straight into a
 * Float32Array without the library first materialising the whole decompressed file.
 *
 * Layouts (byte offsets) follow nifti1.h and nifti2.h.
 */
import { UserError } from '../errors.js';
import { quaternToAffine } from './nifti-quatern.js';

export interface NiftiHeaderInfo {
  version: 1 | 2;
  /** [nx, ny, nz, nt]; nt = 1 for a 3D image. */
  dims: number[];
  /** [dx, dy, dz, dt] as stored in pixdim[1..4]. */
  pixdim: number[];
  /** 4x4 voxel -> mm: sform if sform_code > 0, else qform if qform_code > 0, else diag(pixdim). */
  affine: number[][];
  /** 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64' | 'int64' | 'uint64' */
  datatype: string;
  sclSlope: number;
  sclInter: number;
  /** 'unknown' | 'meter' | 'mm' | 'micron' */
  xyzUnits: string;
  /** 'unknown' | 'sec' | 'msec' | 'usec' | 'hz' | 'ppm' | 'rads' */
  tUnits: string;
  sformCode: number;
  qformCode: number;
}

/** Header info plus what the reader needs to locate and decode the voxel data. */
export interface ParsedHeader extends NiftiHeaderInfo {
  littleEndian: boolean;
  /** Byte offset of the first voxel. */
  voxOffset: number;
  /** Bytes per voxel value. */
  bytesPerVoxel: number;
}

export const NIFTI1_HEADER_SIZE = 348;
export const NIFTI2_HEADER_SIZE = 540;

/** NIfTI datatype code -> [name, bytes per value]. Complex and RGB types are not supported. */
export const DATATYPES: Record<number, [string, number]> = {
  2: ['uint8', 1],
  4: ['int16', 2],
  8: ['int32', 4],
  16: ['float32', 4],
  64: ['float64', 8],
  256: ['int8', 1],
  512: ['uint16', 2],
  768: ['uint32', 4],
  1024: ['int64', 8],
  1280: ['uint64', 8],
};
const UNSUPPORTED_TYPES: Record<number, string> = {
  1: 'binary (1 bit)',
  32: 'complex64',
  128: 'rgb24',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'rgba32',
};

const SPACE_UNITS: Record<number, string> = { 0: 'unknown', 1: 'meter', 2: 'mm', 3: 'micron' };
const TIME_UNITS: Record<number, string> = {
  0: 'unknown',
  8: 'sec',
  16: 'msec',
  24: 'usec',
  32: 'hz',
  40: 'ppm',
  48: 'rads',
};

/**
 * Which NIfTI version and byte order the first 4 bytes (sizeof_hdr) announce, or undefined when
 * they are not a NIfTI header.
 */
export function sniffHeader(buf: Uint8Array): { version: 1 | 2; littleEndian: boolean } | undefined {
  if (buf.length < 4) return undefined;
  const dv = new DataView(buf.buffer, buf.byteOffset, 4);
  for (const le of [true, false]) {
    const n = dv.getInt32(0, le);
    if (n === NIFTI1_HEADER_SIZE) return { version: 1, littleEndian: le };
    if (n === NIFTI2_HEADER_SIZE) return { version: 2, littleEndian: le };
  }
  return undefined;
}

/** Header size needed to parse, given the first 4 bytes (540 covers both versions). */
export function headerSizeOf(buf: Uint8Array): number | undefined {
  const s = sniffHeader(buf);
  return s ? (s.version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE) : undefined;
}

const ascii = (buf: Uint8Array, start: number, len: number): string => {
  let s = '';
  for (let i = start; i < start + len && buf[i] !== 0; i++) s += String.fromCharCode(buf[i]);
  return s;
};

/**
 * Parse a NIfTI-1 or NIfTI-2 header. `buf` must hold at least the header (348 or 540 bytes).
 * `file` is used in error messages only.
 */
export function parseNiftiHeader(buf: Uint8Array, file: string): ParsedHeader {
  const sniff = sniffHeader(buf);
  if (!sniff) {
    throw new UserError(`${file}: not a NIfTI file (the first 4 bytes are not a NIfTI-1 or NIfTI-2 header size)`);
  }
  const { version, littleEndian: le } = sniff;
  const need = version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
  if (buf.length < need) {
    throw new UserError(`${file}: truncated NIfTI-${version} header (expected ${need} bytes, found ${buf.length})`);
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, need);

  // Fields whose width differs between versions are read through these accessors.
  let magic: string;
  let dim: number[];
  let pixdim8: number[];
  let datatypeCode: number;
  let voxOffset: number;
  let sclSlope: number;
  let sclInter: number;
  let xyztUnits: number;
  let qformCode: number;
  let sformCode: number;
  let quat: number[]; // b, c, d, qx, qy, qz
  let srow: number[][];

  if (version === 1) {
    magic = ascii(buf, 344, 4);
    dim = Array.from({ length: 8 }, (_, i) => dv.getInt16(40 + 2 * i, le));
    datatypeCode = dv.getInt16(70, le);
    pixdim8 = Array.from({ length: 8 }, (_, i) => dv.getFloat32(76 + 4 * i, le));
    voxOffset = dv.getFloat32(108, le);
    sclSlope = dv.getFloat32(112, le);
    sclInter = dv.getFloat32(116, le);
    xyztUnits = buf[123];
    qformCode = dv.getInt16(252, le);
    sformCode = dv.getInt16(254, le);
    quat = Array.from({ length: 6 }, (_, i) => dv.getFloat32(256 + 4 * i, le));
    srow = [0, 1, 2].map((r) => Array.from({ length: 4 }, (_, i) => dv.getFloat32(280 + 16 * r + 4 * i, le)));
    if (magic === 'ni1') {
      throw new UserError(`${file}: NIfTI-1 header/image pairs (.hdr + .img) are not supported; convert to a single .nii or .nii.gz`);
    }
    if (magic !== 'n+1') {
      throw new UserError(`${file}: not a NIfTI-1 file (magic is '${magic}', expected 'n+1'); ANALYZE 7.5 files are not supported`);
    }
  } else {
    magic = ascii(buf, 4, 3);
    datatypeCode = dv.getInt16(12, le);
    dim = Array.from({ length: 8 }, (_, i) => Number(dv.getBigInt64(16 + 8 * i, le)));
    pixdim8 = Array.from({ length: 8 }, (_, i) => dv.getFloat64(104 + 8 * i, le));
    voxOffset = Number(dv.getBigInt64(168, le));
    sclSlope = dv.getFloat64(176, le);
    sclInter = dv.getFloat64(184, le);
    qformCode = dv.getInt32(344, le);
    sformCode = dv.getInt32(348, le);
    quat = Array.from({ length: 6 }, (_, i) => dv.getFloat64(352 + 8 * i, le));
    srow = [0, 1, 2].map((r) => Array.from({ length: 4 }, (_, i) => dv.getFloat64(400 + 32 * r + 8 * i, le)));
    xyztUnits = dv.getInt32(500, le);
    if (magic === 'ni2') {
      throw new UserError(`${file}: NIfTI-2 header/image pairs (.hdr + .img) are not supported; convert to a single .nii or .nii.gz`);
    }
    if (magic !== 'n+2') throw new UserError(`${file}: not a NIfTI-2 file (magic is '${magic}', expected 'n+2')`);
  }

  // Dimensions: dim[0] = number of dimensions; the image is at most 4D (extra dims must be 1).
  const ndim = dim[0];
  if (!(ndim >= 1 && ndim <= 7)) throw new UserError(`${file}: invalid NIfTI header: dim[0] = ${ndim} (expected 1..7)`);
  for (let i = 1; i <= ndim; i++) {
    if (!(dim[i] >= 1)) throw new UserError(`${file}: invalid NIfTI header: dim[${i}] = ${dim[i]} (expected >= 1)`);
  }
  for (let i = 5; i <= ndim; i++) {
    if (dim[i] > 1) {
      throw new UserError(`${file}: ${ndim}D images are not supported (dim = [${dim.slice(1, ndim + 1).join(', ')}]); expected a 3D or 4D image`);
    }
  }
  const dims = [1, 2, 3, 4].map((i) => (i <= ndim ? dim[i] : 1));

  const dt = DATATYPES[datatypeCode];
  if (!dt) {
    const name = UNSUPPORTED_TYPES[datatypeCode];
    throw new UserError(
      `${file}: unsupported NIfTI datatype ${datatypeCode}${name ? ` (${name})` : ''}; ` +
        `supported: uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64`,
    );
  }

  // Single-file images store the voxels after the header (and any extensions); a vox_offset
  // smaller than that is invalid, and we read from the end of the header + 4 extension bytes.
  const minOffset = version === 1 ? 352 : 544;
  if (!(voxOffset >= minOffset)) voxOffset = minOffset;
  voxOffset = Math.floor(voxOffset);

  const pixdim = [pixdim8[1], pixdim8[2], pixdim8[3], pixdim8[4]];

  let affine: number[][];
  if (sformCode > 0) {
    affine = [...srow.map((r) => r.slice()), [0, 0, 0, 1]];
  } else if (qformCode > 0) {
    affine = quaternToAffine({
      b: quat[0],
      c: quat[1],
      d: quat[2],
      qx: quat[3],
      qy: quat[4],
      qz: quat[5],
      dx: pixdim8[1],
      dy: pixdim8[2],
      dz: pixdim8[3],
      qfac: pixdim8[0] < 0 ? -1 : 1, // pixdim[0] = 0 is read as +1 (nifti1.h)
    });
  } else {
    // "Method 1" of the standard (ANALYZE compatibility): scale only, no offset.
    affine = [
      [pixdim8[1], 0, 0, 0],
      [0, pixdim8[2], 0, 0],
      [0, 0, pixdim8[3], 0],
      [0, 0, 0, 1],
    ];
  }

  return {
    version,
    dims,
    pixdim,
    affine,
    datatype: dt[0],
    sclSlope,
    sclInter,
    xyzUnits: SPACE_UNITS[xyztUnits & 0x07] ?? 'unknown',
    tUnits: TIME_UNITS[xyztUnits & 0x38] ?? 'unknown',
    sformCode,
    qformCode,
    littleEndian: le,
    voxOffset,
    bytesPerVoxel: dt[1],
  };
}

/** The public header fields (drops the decoding details). */
export function publicHeader(h: ParsedHeader): NiftiHeaderInfo {
  const { littleEndian: _le, voxOffset: _vo, bytesPerVoxel: _bpv, ...info } = h;
  return info;
}
