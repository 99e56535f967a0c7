/**
 * Reading a spec: YAML (with source positions) + --set overrides -> JSON Schema
 * validation (all problems at once, each as `file:line:col: key.path: what is
 * wrong; expected what`) -> the typed spec with defaults and absolute paths.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { decodeUtf8 } from '../io/text.js';
import { canonicalJson, sha256 } from '../engine/canonical.js';
import { normalizeSpec } from './defaults.js';
import { SpecSource, type PathSeg } from './source.js';
import type { AnalysisSpec } from './types.js';
import { schemaProblems, type SchemaProblem } from './validate.js';

export interface LoadedSpec {
  /** Absolute path of the spec file. */
  file: string;
  /** Its folder (relative paths in the spec are resolved against it). */
  dir: string;
  /** The parsed YAML with the overrides applied, before defaults. */
  raw: unknown;
  /** Validated, defaults filled in, paths absolute. */
  spec: AnalysisSpec;
  /** sha256 (hex) of the canonical JSON of `spec` without `execution` (where nodes run changes no result). */
  hash: string;
  /** The YAML document and override origins, for positions (see positionOf / problemAt in semantic.ts). */
  source: SpecSource;
  /** With `collect`: the schema problems (empty when the spec is valid). */
  schemaProblems: LocatedProblem[];
  /** With `collect`: key paths left out of `spec` because of those problems. */
  pruned: PathSeg[][];
}

export interface LoadOptions {
  /** Folder that relative paths given with --set, and `file` itself, are resolved against. Default: process.cwd(). */
  cwd?: string;
  /**
   * Collect instead of throwing on schema problems, so that the semantic and data checks can
   * run too and every problem is reported at once: the offending keys are left out of `spec`
   * (their defaults apply) and the problems are returned in `schemaProblems`. When leaving
   * them out does not give a valid spec (a required key is missing), it throws as usual.
   */
  collect?: boolean;
}

/** A problem with its position in the spec, for sorting with other problems. */
export interface LocatedProblem {
  text: string;
  path: PathSeg[];
  at: 'key' | 'value';
}

/** Label lists (and the label map data.filters): numbers written there keep their source text (01 -> "01"). */
const LABEL_LISTS: PathSeg[][] = [
  ['data', 'subjects'],
  ['data', 'runs'],
  ['data', 'sessions'],
  ['data', 'filters'],
];

/** Throw one UserError carrying every problem. */
export function throwProblems(display: string, problems: string[], what = 'the spec'): never {
  if (problems.length === 1) throw new UserError(problems[0], problems);
  throw new UserError(`${display}: ${problems.length} problems in ${what}`, problems);
}

/** Order problems by file position, then --set ones in argument order. */
function sortProblems(src: SpecSource, items: LocatedProblem[]): string[] {
  const keyed = items.map((it, i) => {
    const loc = src.locate(it.path, it.at);
    const k = loc.kind === 'file' ? [0, loc.line, loc.col, i] : [1, loc.index, 0, i];
    return { k, text: it.text };
  });
  keyed.sort((a, b) => {
    for (let j = 0; j < 4; j++) if (a.k[j] !== b.k[j]) return a.k[j] - b.k[j];
    return 0;
  });
  return [...new Set(keyed.map((x) => x.text))];
}

/**
 * Load and validate a spec file.
 * @param overrides `--set` arguments, "a.b.c=value" (value parsed as YAML; list items by index: `group.inference.0.alpha=0.01`).
 * @throws UserError (with `problems`) for a missing file, YAML syntax errors, bad overrides or schema violations.
 */
export async function loadSpec(file: string, overrides: string[] = [], options: LoadOptions = {}): Promise<LoadedSpec> {
  const cwd = options.cwd ?? process.cwd();
  const abs = resolve(cwd, file);
  let text: string;
  try {
    const st = await stat(abs);
    if (st.isDirectory()) throw new UserError(`${file}: is a folder; expected a spec file (YAML)`);
    text = decodeUtf8(await readFile(abs), file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`spec file not found: ${file} (looked for ${abs})`);
    throw new UserError(`cannot read spec file ${file}: ${(e as Error).message}`);
  }

  const src = new SpecSource(file, text);
  const syntax = src.syntaxProblems();
  if (syntax.length > 0) throwProblems(file, syntax, 'the YAML');

  const setProblems = overrides.flatMap((arg) => src.applyOverride(arg));
  if (setProblems.length > 0) throwProblems(file, setProblems, 'the --set arguments');

  src.keepLabelsAsWritten(LABEL_LISTS);
  let raw: unknown;
  try {
    raw = src.toJS();
  } catch (e) {
    throw new UserError(`${file}: cannot read the YAML: ${(e as Error).message}`);
  }
  if (raw === null || raw === undefined) {
    throw new UserError(`${file}:1:1: the spec is empty; expected a mapping starting with 'glmflow: 1'`);
  }

  const problems = schemaProblems(raw);
  const located = problems.map((p) => ({ text: src.format(p.path, p.message, p.at, p.display), path: p.path, at: p.at }));
  let valid: unknown = raw;
  let pruned: PathSeg[][] = [];
  if (problems.length > 0) {
    const without = options.collect ? withoutProblems(raw, problems) : undefined;
    if (!without) throwProblems(file, sortProblems(src, located));
    ({ value: valid, pruned } = without);
  }

  const dir = dirname(abs);
  const fromOverride = (path: PathSeg[]) => src.locate(path).kind === 'override';
  const spec = normalizeSpec(valid as Record<string, any>, {
    baseName: basename(abs, extname(abs)),
    baseDirFor: (path) => (fromOverride(path) ? cwd : dir),
  });
  const { execution: _where, ...results } = spec;
  return { file: abs, dir, raw, spec, hash: sha256(canonicalJson(results)), source: src, schemaProblems: located, pruned };
}

/**
 * `raw` without the values the schema refuses (an item of a list: the whole list), when
 * that leaves a valid spec; undefined otherwise (a required key is missing, or a removed
 * value was required).
 */
function withoutProblems(raw: unknown, problems: SchemaProblem[]): { value: unknown; pruned: PathSeg[][] } | undefined {
  if (problems.some((p) => p.required || p.path.length === 0)) return undefined;
  const value = structuredClone(raw) as Record<string, unknown>;
  const pruned: PathSeg[][] = [];
  for (const p of problems) {
    const cut = p.path.findIndex((seg) => typeof seg === 'number');
    const path = cut >= 0 ? p.path.slice(0, cut) : p.path;
    if (path.length === 0) return undefined;
    let parent: any = value;
    for (const seg of path.slice(0, -1)) parent = parent?.[seg];
    if (parent && typeof parent === 'object') delete parent[path[path.length - 1]];
    pruned.push(path);
  }
  return schemaProblems(value).length === 0 ? { value, pruned } : undefined;
}

export { sortProblems };
