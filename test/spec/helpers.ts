import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isUserError } from '../../src/errors.js';

/** A fresh temporary folder. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'glmflow-spec-'));
}

/** Write `text` to `name` under `dir` (creating folders) and return its path. */
export function writeFile(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

/** Lines as written in a test (leading newline and common indentation removed). */
export function yaml(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** The problems of the UserError thrown by `fn` (fails when nothing or something else is thrown). */
export async function problemsOf(fn: () => Promise<unknown>): Promise<string[]> {
  try {
    await fn();
  } catch (e) {
    if (isUserError(e)) return e.problems.length > 0 ? e.problems : [e.message];
    throw e;
  }
  throw new Error('expected a UserError, but nothing was thrown');
}
