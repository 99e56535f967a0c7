/**
 * Text files (spec, TSV, JSON sidecars) are UTF-8, strictly: an invalid byte is refused
 * with its file, line and column instead of silently becoming U+FFFD (what
 * `readFile(path, 'utf8')` does), which would turn a condition or column name into
 * something that merely looks right. A leading byte-order mark is dropped.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.js';

/** Decode `bytes` as UTF-8; a UserError `file:line:col: invalid UTF-8 …` otherwise. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidByte(bytes);
    const { line, col } = lineAndColumn(bytes, at);
    const hex = bytes[at] === undefined ? 'end of file' : `byte 0x${bytes[at].toString(16).padStart(2, '0').toUpperCase()}`;
    throw new UserError(
      `${file}:${line}:${col}: invalid UTF-8 (${hex} at offset ${at}); expected a UTF-8 text file (re-save it with UTF-8 encoding)`,
    );
  }
}

/** Read a text file strictly as UTF-8 (file-system errors are thrown unchanged). */
export async function readTextFile(path: string): Promise<string> {
  return decodeUtf8(await readFile(path), path);
}

/** Offset of the first byte of the first invalid sequence (the data is known to be invalid). */
export function firstInvalidByte(bytes: Uint8Array): number {
  const valid = (n: number) => {
    try {
      // stream: an incomplete sequence at the end of the prefix is not an error yet
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  // Validity of prefixes is monotonic: binary search the shortest invalid prefix.
  let lo = 0;
  let hi = bytes.length;
  if (valid(hi)) return sequenceStart(bytes, bytes.length); // only the end is incomplete
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (valid(mid)) lo = mid;
    else hi = mid;
  }
  // bytes[hi - 1] made the prefix invalid; an unfinished sequence before it is the culprit.
  return sequenceStart(bytes, hi - 1);
}

/** Start of the multi-byte sequence left unfinished just before `end`, or `end` itself. */
function sequenceStart(bytes: Uint8Array, end: number): number {
  for (let i = end - 1; i >= 0 && i >= end - 3; i--) {
    const b = bytes[i];
    if (b < 0x80) break;
    if (b >= 0xc0) {
      const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return i + length > end ? i : end; // unfinished, or complete (then the bad byte is at `end`)
    }
  }
  return Math.min(end, bytes.length - 1);
}

function lineAndColumn(bytes: Uint8Array, at: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  // column in characters: the valid text of the line before the bad byte
  const before = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, at));
  return { line, col: [...before].length + 1 };
}

/** A JSON file holding one object (BIDS sidecars): strict UTF-8, messages name the file. */
export async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${path}: cannot read (${(e as Error).message})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: invalid JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UserError(`${path}: expected a JSON object`);
  return v as Record<string, unknown>;
}
