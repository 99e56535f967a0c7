import { createHash } from 'node:crypto';
import type { Artifact, ArraySelection, Json, TypedArray } from './types.js';

/**
 * Binary encoding of an Artifact (one cache entry):
 *
 *   "GLMFLOW1" | u32 LE header length | header JSON | zero padding to 8 bytes |
 *   array payloads (each 8-byte aligned) | sha256 of everything before it (32 bytes)
 *
 * The trailing checksum is what lets a reader detect a truncated or corrupted
 * entry and recompute it instead of trusting it.
 */
const MAGIC = Buffer.from('GLMFLOW1', 'ascii');
/** The SHA-256 that ends every entry. */
export const CHECKSUM_BYTES = 32;

const DTYPES = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
} as const;
type DtypeName = keyof typeof DTYPES;

function dtypeOf(a: TypedArray): DtypeName {
  for (const [name, ctor] of Object.entries(DTYPES)) if (a instanceof ctor) return name as DtypeName;
  throw new Error('artifact: unsupported typed array');
}

interface ArrayEntry { name: string; dtype: DtypeName; length: number; offset: number }
interface Header { meta: Json; arrays: ArrayEntry[] }

const align8 = (n: number) => (n + 7) & ~7;

/** Encode to a list of buffers (written in order) to avoid one more full copy of large arrays. */
export function encodeArtifact(artifact: Artifact): Buffer[] {
  const entries: ArrayEntry[] = [];
  let payloadOffset = 0;
  for (const [name, arr] of Object.entries(artifact.arrays)) {
    entries.push({ name, dtype: dtypeOf(arr), length: arr.length, offset: payloadOffset });
    payloadOffset = align8(payloadOffset + arr.byteLength);
  }
  const header: Header = { meta: artifact.meta, arrays: entries };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const lengthBytes = Buffer.alloc(4);
  lengthBytes.writeUInt32LE(headerBytes.length, 0);
  const preamble = MAGIC.length + 4 + headerBytes.length;
  const parts: Buffer[] = [MAGIC, lengthBytes, headerBytes, Buffer.alloc(align8(preamble) - preamble)];
  let written = 0;
  for (const e of entries) {
    const arr = artifact.arrays[e.name];
    parts.push(Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
    written = e.offset + arr.byteLength;
    const next = align8(written);
    if (next > written) parts.push(Buffer.alloc(next - written));
  }
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  parts.push(h.digest());
  return parts;
}

export class CorruptEntryError extends Error {}

/** The preamble ("GLMFLOW1", header length) at the start of an entry of `fileSize` bytes, or CorruptEntryError. */
function checkPreamble(head: Buffer, fileSize: number): void {
  if (fileSize < MAGIC.length + 4 + CHECKSUM_BYTES || head.length < MAGIC.length + 4 || !head.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new CorruptEntryError('not a cache entry or truncated');
  }
}

/** The header from an entry's first bytes, and where its arrays start; the byte count needed when `head` ends within the header. */
function parseHeader(head: Buffer): { need: number } | { header: Header; payloadStart: number } {
  const headerLength = head.readUInt32LE(MAGIC.length);
  const headerStart = MAGIC.length + 4;
  if (head.length < headerStart + headerLength) return { need: headerStart + headerLength };
  try {
    return { header: JSON.parse(head.subarray(headerStart, headerStart + headerLength).toString('utf8')), payloadStart: align8(headerStart + headerLength) };
  } catch {
    throw new CorruptEntryError('unreadable header');
  }
}

/** An array's type and bytes within an entry whose payload starts at `payloadStart`, or CorruptEntryError past `bodyLength`. */
function locateArray(e: ArrayEntry, payloadStart: number, bodyLength: number) {
  const ctor = DTYPES[e.dtype];
  const start = payloadStart + e.offset;
  const byteLength = e.length * ctor.BYTES_PER_ELEMENT;
  if (start + byteLength > bodyLength) throw new CorruptEntryError(`array ${e.name} out of bounds`);
  return { ctor, start, byteLength };
}

/** Where one selected array's bytes are in the entry, and the array they go into. */
export interface SelectedPiece { array: TypedArray; bytes: Uint8Array; fileOffset: number }

/**
 * The header of an entry from its first bytes: the preamble length needed (when `head` is too
 * short), else the meta and, for the selected arrays, empty arrays with the file ranges that
 * fill them. `fileSize` bounds the payload (the checksum is the last 32 bytes).
 */
export function planSelectedRead(head: Buffer, fileSize: number, select: ArraySelection): { need: number } | { meta: Json; pieces: SelectedPiece[]; arrays: Record<string, TypedArray> } {
  checkPreamble(head, fileSize);
  const bodyLength = fileSize - CHECKSUM_BYTES;
  if (align8(MAGIC.length + 4 + head.readUInt32LE(MAGIC.length)) > bodyLength) throw new CorruptEntryError('not a cache entry or truncated');
  const parsed = parseHeader(head);
  if ('need' in parsed) return parsed;
  const { header, payloadStart } = parsed;
  const pieces: SelectedPiece[] = [];
  const arrays: Record<string, TypedArray> = {};
  for (const e of header.arrays) {
    const want = select[e.name];
    if (!want) continue;
    const { ctor, start } = locateArray(e, payloadStart, bodyLength);
    const array = new ctor(e.length);
    arrays[e.name] = array;
    const bytes = new Uint8Array(array.buffer);
    if (want === true) {
      pieces.push({ array, bytes, fileOffset: start });
      continue;
    }
    if (e.length % want.rowCount !== 0) throw new Error(`artifact: array ${e.name} (${e.length} values) is not ${want.rowCount} equal rows`);
    const rowBytes = (e.length / want.rowCount) * ctor.BYTES_PER_ELEMENT;
    for (const r of new Set(want.rows)) {
      if (!Number.isInteger(r) || r < 0 || r >= want.rowCount) throw new Error(`artifact: row ${r} of ${e.name} is not one of its ${want.rowCount} rows`);
      pieces.push({ array, bytes: bytes.subarray(r * rowBytes, (r + 1) * rowBytes), fileOffset: start + r * rowBytes });
    }
  }
  return { meta: header.meta, pieces, arrays };
}

/**
 * Decode and verify; throws CorruptEntryError on any inconsistency. `verify: false` skips the
 * checksum only (for an entry known whole, see verified-entries.ts); the structure is still checked.
 */
export function decodeArtifact(buf: Buffer, opts: { verify?: boolean } = {}): Artifact {
  checkPreamble(buf, buf.length);
  const body = buf.subarray(0, buf.length - CHECKSUM_BYTES);
  const expected = buf.subarray(buf.length - CHECKSUM_BYTES);
  if (opts.verify !== false && !createHash('sha256').update(body).digest().equals(expected)) {
    throw new CorruptEntryError('checksum mismatch');
  }
  const parsed = parseHeader(body);
  if ('need' in parsed) throw new CorruptEntryError('unreadable header');
  const { header, payloadStart } = parsed;
  const arrays: Record<string, TypedArray> = {};
  for (const e of header.arrays) {
    const { ctor, start, byteLength } = locateArray(e, payloadStart, body.length);
    const absolute = body.byteOffset + start;
    if (absolute % ctor.BYTES_PER_ELEMENT === 0) {
      arrays[e.name] = new ctor(body.buffer as ArrayBuffer, absolute, e.length);
    } else {
      // Unaligned view (Buffer from a shared pool): copy into an aligned array.
      const copy = new Uint8Array(byteLength);
      copy.set(body.subarray(start, start + byteLength));
      arrays[e.name] = new ctor(copy.buffer, 0, e.length);
    }
  }
  return { meta: header.meta, arrays };
}
