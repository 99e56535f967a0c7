/**
 * Checks that the schema cannot express and that need no data: cross-references
 * between sections, per-option requirements (fir needs fir_delays, ...), and
 * paths that must exist. Each problem is one line with the file:line:col (or
 * --set argument) of the offending key.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { LoadedSpec } from './load.js';
import { sortProblems, type LocatedProblem } from './load.js';
import { ContrastExpressionError, contrastVector, parseContrastExpression, referencedNames } from '../stats/first-level/contrast-expr.js';
import { globFiles } from './glob.js';
import type { PathSeg } from './source.js';
import { closest } from './suggest.js';
import { repr } from './validate.js';
import { optionProblems } from './option-checks.js';

/**
 * Where the key (at = 'key', default) or value at `path` is written in the spec file, 1-based.
 * Missing paths resolve to their deepest existing ancestor. When the value came from a
 * --set argument, line and col are 0 and `override` holds the argument.
 */
export function positionOf(
  loaded: LoadedSpec,
  path: readonly PathSeg[],
  at: 'key' | 'value' = 'key',
): { line: number; col: number; override?: string } {
  const loc = loaded.source.locate(path, at);
  return loc.kind === 'file' ? { line: loc.line, col: loc.col } : { line: 0, col: 0, override: `--set ${loc.arg}` };
}

/**
 * One problem line for a data-dependent check, e.g.
 * `problemAt(loaded, ['data', 'subjects', 1], "subject '03' not found in <bids>; expected one of: 01, 02", 'value')`
 * -> `spec.yaml:7:17: data.subjects.1: subject '03' not found ...`.
 */
export function problemAt(loaded: LoadedSpec, path: readonly PathSeg[], message: string, at: 'key' | 'value' = 'key'): string {
  return loaded.source.format(path, message, at);
}

export interface SemanticOptions {
  /** Check that input paths exist (default true; tests of portable fixtures turn it off). */
  checkPaths?: boolean;
  /** Key paths the schema refused (left out of the spec): no further problem is reported at or under them. */
  skip?: readonly (readonly PathSeg[])[];
}

type Item = { path: PathSeg[]; at: 'key' | 'value'; message: string };

const has = (o: unknown, k: string) => typeof o === 'object' && o !== null && Object.prototype.hasOwnProperty.call(o, k);

/** All semantic problems, sorted by position; empty when the spec is consistent. */
export function semanticProblems(loaded: LoadedSpec, options: SemanticOptions = {}): string[] {
  return sortProblems(loaded.source, semanticItems(loaded, options));
}

const under = (path: readonly PathSeg[], root: readonly PathSeg[]) => root.length <= path.length && root.every((s, i) => path[i] === s);

/** The semantic problems with their key paths (unsorted). */
export function semanticItems(loaded: LoadedSpec, options: SemanticOptions = {}): LocatedProblem[] {
  const checkPaths = options.checkPaths ?? true;
  const { spec } = loaded;
  const raw = loaded.raw as Record<string, any>;
  const items: Item[] = [];
  const add = (path: PathSeg[], message: string, at: 'key' | 'value' = 'key') => items.push({ path, at, message });

  const fl = spec.first_level;
  const group = spec.group;
  const roi = spec.roi;
  const firstContrasts = fl ? Object.keys(fl.contrasts) : [];

  // ---- sections that need each other
  if (!fl && !group && !roi) add([], 'nothing to compute; expected a first_level section (or group with inputs)');
  if (fl && !spec.data) add(['first_level'], 'needs the data section; expected data: {bids: <BIDS folder>, task: <task label>}');
  // Raw BOLD files have no desc- entity: a desc without derivatives would select nothing.
  if (spec.data?.desc !== undefined && !spec.data.derivatives) {
    add(['data', 'desc'], 'selects the desc- of the preprocessed BOLD in the derivatives; expected data.derivatives to be set (raw BOLD files have no desc-)', 'value');
  }
  if (fl && spec.data && !spec.data.task) add(['data'], "missing required key 'task' (needed by first_level); expected a BIDS task label (letters and digits only, without 'task-')");
  if (group && !group.inputs && !fl) add(['group'], 'needs first_level (or group.inputs pointing at existing maps)');
  if (group && group.covariates.length > 0 && !spec.data) {
    add(['group', 'covariates'], 'covariates are read from participants.tsv; expected data.bids to be set');
  }
  if (roi && !fl) add(['roi'], 'needs first_level (the ROI analysis summarises first-level maps)');
  if (roi && roi.atlas === undefined && !roi.masks) add(['roi'], "missing required key 'atlas' or 'masks'; expected a label image (atlas), a mapping of ROI name -> mask file (masks), or both");
  if (spec.single_trial && !fl) add(['single_trial'], 'needs first_level (its model options apply to the single-trial models)');
  if (fl && !spec.single_trial && Object.keys(fl.contrasts).length === 0) {
    add(['first_level'], "missing required key 'contrasts' (needed unless single_trial is set); expected a mapping of contrast name -> expression");
  }

  // ---- first level
  if (fl) {
    caseCollisions(Object.keys(fl.contrasts), ['first_level', 'contrasts'], 'contrast', add);
    for (const [name, def] of Object.entries(fl.contrasts)) {
      const p: PathSeg[] = ['first_level', 'contrasts', name];
      if (typeof def === 'string') {
        if (def.trim() === '') add(p, 'empty contrast expression; expected e.g. face - scene', 'value');
        continue;
      }
      const rows = def as (number | number[])[];
      const nested = rows.filter(Array.isArray).length;
      if (nested > 0 && nested < rows.length) {
        add(p, 'mixes numbers and rows; expected a weight vector [1, -1, ...] or a matrix [[1, 0], [0, 1]]', 'value');
        continue;
      }
      if (nested > 0) {
        const lens = new Set((rows as number[][]).map((r) => r.length));
        if (lens.size > 1) add(p, `rows have different lengths (${[...lens].join(', ')}); expected a matrix with rows of equal length`, 'value');
      }
      const flat = (rows as (number | number[])[]).flat();
      if (flat.every((x) => x === 0)) add(p, 'all weights are zero; expected at least one non-zero weight', 'value');
    }
    if (fl.hrf_model === 'fir' && !has(raw.first_level, 'fir_delays')) {
      add(['first_level', 'hrf_model'], "hrf_model 'fir' needs fir_delays; expected e.g. fir_delays: [0, 1, 2, 3] (delays in scans)", 'value');
    }
    if (fl.drift_model === 'polynomial' && !has(raw.first_level, 'drift_order')) {
      add(['first_level', 'drift_model'], "drift_model 'polynomial' needs drift_order; expected e.g. drift_order: 1", 'value');
    }
    if (fl.mask === 'derivatives' && !spec.data?.derivatives) {
      add(['first_level', 'mask'], "'derivatives' uses the brain mask beside the preprocessed BOLD; expected data.derivatives to be set", 'value');
    }
    const conf = fl.confounds;
    const hasConfounds = Array.isArray(conf) ? conf.length > 0 : true;
    if (hasConfounds && spec.data && !spec.data.derivatives) {
      add(['first_level', 'confounds'], 'confounds are read from the fMRIPrep confounds files; expected data.derivatives to be set');
    }
    if (!Array.isArray(conf) && conf.strategy.includes('compcor') && !conf.strategy.includes('high_pass')) {
      add(['first_level', 'confounds', 'strategy'], "'compcor' needs 'high_pass' in the strategy (as nilearn load_confounds requires)", 'value');
    }
  }

  // ---- group
  if (group) {
    const available = [...firstContrasts, ...Object.keys(group.inputs ?? {})];
    const rawContrasts: unknown[] | undefined = raw.group?.contrasts;
    if (rawContrasts) {
      group.contrasts.forEach((c, i) => {
        if (available.includes(c)) return;
        const s = closest(c, available);
        const from = group.inputs ? 'first_level contrasts and group.inputs' : 'first_level contrasts';
        add(
          ['group', 'contrasts', i],
          `unknown contrast '${c}'${s ? ` (did you mean '${s}'?)` : ''}; expected one of the ${from}: ${available.join(', ') || '(none)'}`,
          'value',
        );
      });
    }
    const covs = group.covariates;
    covs.forEach((c, i) => {
      if (c === 'intercept') add(['group', 'covariates', i], "'intercept' is added automatically; expected participants.tsv columns only", 'value');
    });
    if (group.tests) {
      caseCollisions(Object.keys(group.tests), ['group', 'tests'], 'test', add);
      const allowed = ['intercept', ...covs];
      for (const [name, expr] of Object.entries(group.tests)) {
        const p: PathSeg[] = ['group', 'tests', name];
        if (allowed.includes(expr)) continue;
        try {
          const e = parseContrastExpression(expr);
          const unknown = referencedNames(e).filter((n) => !allowed.includes(n));
          for (const n of unknown) {
            const s = closest(n, allowed);
            add(p, `unknown name '${n}' in ${repr(expr)}${s ? ` (did you mean '${s}'?)` : ''}; expected 'intercept' or a covariate listed in group.covariates (${covs.join(', ') || 'none'})`, 'value');
          }
          if (unknown.length === 0) {
            // A constant term adds to every column (pandas semantics): probe it with an extra column.
            const weights = contrastVector(e, [...allowed, '\u0000probe']);
            if (weights[allowed.length] !== 0) add(p, `${repr(expr)} has a constant term; expected a combination of intercept and covariates`, 'value');
          }
        } catch (err) {
          if (!(err instanceof ContrastExpressionError)) throw err;
          add(p, `cannot read the expression ${repr(expr)}: ${err.message.split('\n')[0]}; expected e.g. intercept, age, or 0.5*intercept + age`, 'value');
        }
      }
    }
    const rawInf: Record<string, unknown>[] = raw.group?.inference ?? [];
    const seen = new Map<string, number>();
    group.inference.forEach((inf, i) => {
      const r = rawInf[i] ?? {};
      const p: PathSeg[] = ['group', 'inference', i];
      const prev = seen.get(inf.method);
      if (prev !== undefined) {
        add([...p, 'method'], `method '${inf.method}' is already used by group.inference.${prev}; expected each method once (they write the same output files)`, 'value');
      } else seen.set(inf.method, i);
      const only = (key: string, methods: string[]) => {
        if (has(r, key) && !methods.includes(inf.method)) {
          add([...p, key], `${key} does not apply to method '${inf.method}'; expected it only with method ${methods.join(' or ')}`);
        }
      };
      only('n_perm', ['permutation']);
      only('seed', ['permutation']);
      only('tfce', ['permutation']);
      only('stat_threshold', ['cluster', 'none', 'permutation']);
      only('height_control', ['cluster']);
      if (inf.method === 'cluster' && has(r, 'alpha') && inf.height_control === 'none') {
        add([...p, 'alpha'], 'alpha does not apply when stat_threshold sets the height threshold; expected either stat_threshold or alpha (with height_control)');
      }
      if (inf.method === 'none' && has(r, 'alpha')) add([...p, 'alpha'], "alpha does not apply to method 'none' (it thresholds at stat_threshold); expected no alpha");
      if (inf.method === 'cluster' && has(r, 'stat_threshold') && has(r, 'height_control') && r.height_control !== 'none') {
        add([...p, 'height_control'], `height_control '${String(r.height_control)}' conflicts with stat_threshold; expected one of them (stat_threshold means height_control: none)`);
      }
    });
  }

  // ---- roi
  if (roi && fl && raw.roi?.contrasts) {
    roi.contrasts.forEach((c, i) => {
      if (firstContrasts.includes(c)) return;
      const s = closest(c, firstContrasts);
      add(['roi', 'contrasts', i], `unknown contrast '${c}'${s ? ` (did you mean '${s}'?)` : ''}; expected one of the first_level contrasts: ${firstContrasts.join(', ')}`, 'value');
    });
  }

  if (roi?.masks) {
    caseCollisions(Object.keys(roi.masks), ['roi', 'masks'], 'ROI', add);
    for (const [name, p] of Object.entries(roi.masks)) {
      const unknown = [...p.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).filter((k) => k !== 'subject');
      if (unknown.length) add(['roi', 'masks', name], `unknown placeholder {${unknown[0]}} in ${p}; expected only {subject} (replaced by each subject's label, e.g. 01)`, 'value');
    }
  }

  // ---- options that are valid alone but not together (none is silently ignored)
  for (const o of optionProblems(spec, raw)) add(o.path, o.message, o.at);

  // ---- paths that must exist
  if (checkPaths) {
    const mustBe = (path: PathSeg[], p: string | undefined, kind: 'folder' | 'file') => {
      if (p === undefined) return;
      let ok = false;
      try {
        const st = statSync(p);
        ok = kind === 'folder' ? st.isDirectory() : st.isFile();
      } catch {
        ok = false;
      }
      if (!ok) {
        const why = existsSync(p) ? `is not a ${kind}` : 'not found';
        add(path, `${kind} ${why}: ${p}; expected an existing ${kind}${relativeNote(loaded, path)}`, 'value');
      }
    };
    if (spec.data) {
      mustBe(['data', 'bids'], spec.data.bids, 'folder');
      mustBe(['data', 'derivatives'], spec.data.derivatives, 'folder');
    }
    if (fl && fl.mask !== 'auto' && fl.mask !== 'derivatives') mustBe(['first_level', 'mask'], fl.mask, 'file');
    if (group) {
      if (group.mask !== 'auto') mustBe(['group', 'mask'], group.mask, 'file');
      for (const [name, pattern] of Object.entries(group.inputs ?? {})) {
        if (globFiles(pattern).length === 0) {
          add(['group', 'inputs', name], `no file matches ${pattern}; expected a glob matching one map per subject${relativeNote(loaded, ['group', 'inputs', name])}`, 'value');
        }
      }
      if (group.covariates.length > 0 && spec.data && existsSync(spec.data.bids)) {
        const tsv = join(spec.data.bids, 'participants.tsv');
        if (!existsSync(tsv)) add(['group', 'covariates'], `covariates are read from ${tsv}, which does not exist; expected a participants.tsv in the BIDS folder`);
      }
    }
    if (roi) {
      mustBe(['roi', 'atlas'], roi.atlas, 'file');
      mustBe(['roi', 'labels'], roi.labels, 'file');
      // masks with {subject} are checked per subject when compiling (the subjects are known then)
      for (const [name, p] of Object.entries(roi.masks ?? {})) if (!/\{[^}]*\}/.test(p)) mustBe(['roi', 'masks', name], p, 'file');
    }
  }

  const skip = options.skip ?? [];
  return items
    .filter((it) => !skip.some((root) => under(it.path, root)))
    .map((it) => ({ text: loaded.source.format(it.path, it.message, it.at), path: it.path, at: it.at }));
}

/** For a path written relative: says what it was resolved against. */
function relativeNote(loaded: LoadedSpec, path: PathSeg[]): string {
  let v: unknown = loaded.raw;
  for (const seg of path) v = (v as Record<string, unknown> | undefined)?.[seg as string];
  if (typeof v !== 'string' || isAbsolute(v) || v.startsWith('~')) return '';
  const base = loaded.source.locate(path).kind === 'override' ? 'the working directory' : `the spec's folder ${loaded.dir}`;
  return ` ('${v}' is resolved against ${base})`;
}

/** Names that differ only in case would give colliding file names on case-insensitive file systems. */
function caseCollisions(names: string[], base: PathSeg[], what: string, add: (p: PathSeg[], m: string) => void): void {
  const first = new Map<string, string>();
  for (const n of names) {
    const k = n.toLowerCase();
    const prev = first.get(k);
    if (prev !== undefined) {
      add([...base, n], `${what} names '${prev}' and '${n}' differ only in case; expected distinct names (output files would collide on case-insensitive file systems)`);
    } else first.set(k, n);
  }
}

