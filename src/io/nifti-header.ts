/**
 * NIfTI-1 / NIfTI-2 header parsing from the raw header bytes.
 *
 * The fields are read by nifti-reader-js (its NIFTI1 / NIFTI2 classes, either byte order), on
 * the header bytes only: the readers (nifti.ts) inflate just the start of a .nii.gz and stream
 * the voxels themselves, so the library never sees (or decompresses) the whole file. What
 * stays here is what the library does not do the way the project needs:
 *  - the size sniff of the first 4 bytes (how many bytes to read before parsing);
 *  - validation with messages naming the file (magic, .hdr/.img pairs, dims, datatypes);
 *  - the affine, by nibabel's rules (`niftiAffine` below), where nifti-reader-js prefers the
 *    qform whenever qform_code > sform_code.
 */
import { NIFTI1, NIFTI2 } from 'nifti-reader-js';
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
  // exactly the header: the library then skips the extensions, which the readers skip by vox_offset
  const bytes = buf.slice(0, need).buffer;
  const h = version === 1 ? new NIFTI1() : new NIFTI2();
  h.readHeader(bytes);
  const magic = h.magic.slice(0, 3);
  if (magic === `ni${version}`) {
    throw new UserError(`${file}: NIfTI-${version} header/image pairs (.hdr + .img) are not supported; convert to a single .nii or .nii.gz`);
  }
  if (magic !== `n+${version}`) {
    throw new UserError(
      `${file}: not a NIfTI-${version} file (magic is '${magic}', expected 'n+${version}')` +
        (version === 1 ? '; ANALYZE 7.5 files are not supported' : ''),
    );
  }
  const dim = h.dims;
  const pixdim8 = h.pixDims;

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

  const dt = DATATYPES[h.datatypeCode];
  if (!dt) {
    const name = UNSUPPORTED_TYPES[h.datatypeCode];
    throw new UserError(
      `${file}: unsupported NIfTI datatype ${h.datatypeCode}${name ? ` (${name})` : ''}; ` +
        `supported: uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64`,
    );
  }

  // Single-file images store the voxels after the header (and any extensions); a vox_offset
  // smaller than that is invalid, and we read from the end of the header + 4 extension bytes.
  const minOffset = version === 1 ? 352 : 544;
  let voxOffset = h.vox_offset;
  if (!(voxOffset >= minOffset)) voxOffset = minOffset;
  voxOffset = Math.floor(voxOffset);

  const xyztUnits = h.xyzt_units;
  return {
    version,
    dims,
    pixdim: [pixdim8[1], pixdim8[2], pixdim8[3], pixdim8[4]],
    affine: niftiAffine(h, srowOf(h, buf, le)),
    datatype: dt[0],
    sclSlope: h.scl_slope,
    sclInter: h.scl_inter,
    xyzUnits: SPACE_UNITS[xyztUnits & 0x07] ?? 'unknown',
    tUnits: TIME_UNITS[xyztUnits & 0x38] ?? 'unknown',
    sformCode: h.sform_code,
    qformCode: h.qform_code,
    littleEndian: le,
    voxOffset,
    bytesPerVoxel: dt[1],
  };
}

/**
 * The sform rows srow_x, srow_y, srow_z. NIFTI2 always stores them in `affine`; NIFTI1 does
 * only when it chose the sform (sform_code > 0 and qform_code <= sform_code), so they are read
 * from the header bytes otherwise (12 float32 at byte 280, nifti1.h).
 */
function srowOf(h: NIFTI1 | NIFTI2, buf: Uint8Array, le: boolean): number[][] {
  if (h instanceof NIFTI2 || (h.sform_code > 0 && !(h.qform_code > h.sform_code))) return h.affine.slice(0, 3).map((r) => r.slice());
  const dv = new DataView(buf.buffer, buf.byteOffset, NIFTI1_HEADER_SIZE);
  return [0, 1, 2].map((r) => Array.from({ length: 4 }, (_, i) => dv.getFloat32(280 + 16 * r + 4 * i, le)));
}

/**
 * The voxel -> mm affine by nibabel's rules (`Nifti1Header.get_best_affine`): the sform when
 * sform_code > 0, else the qform when qform_code > 0 (quaternion, pixdim and qfac = pixdim[0]
 * read as +1 when 0, nifti1.h "method 2"), else diag(pixdim[1..3]) with no offset ("method 1",
 * ANALYZE compatibility). nifti-reader-js's own `affine` prefers the qform when qform_code >
 * sform_code, and computes quatern_a without nibabel's tolerance for |b,c,d| slightly above 1.
 */
function niftiAffine(h: NIFTI1 | NIFTI2, srow: number[][]): number[][] {
  const pixdim8 = h.pixDims;
  if (h.sform_code > 0) return [...srow, [0, 0, 0, 1]];
  if (h.qform_code > 0) {
    return quaternToAffine({
      b: h.quatern_b,
      c: h.quatern_c,
      d: h.quatern_d,
      qx: h.qoffset_x,
      qy: h.qoffset_y,
      qz: h.qoffset_z,
      dx: pixdim8[1],
      dy: pixdim8[2],
      dz: pixdim8[3],
      qfac: pixdim8[0] < 0 ? -1 : 1, // pixdim[0] = 0 is read as +1 (nifti1.h)
    });
  }
  return [
    [pixdim8[1], 0, 0, 0],
    [0, pixdim8[2], 0, 0],
    [0, 0, pixdim8[3], 0],
    [0, 0, 0, 1],
  ];
}

/** The public header fields (drops the decoding details). */
export function publicHeader(h: ParsedHeader): NiftiHeaderInfo {
  const { littleEndian: _le, voxOffset: _vo, bytesPerVoxel: _bpv, ...info } = h;
  return info;
}
