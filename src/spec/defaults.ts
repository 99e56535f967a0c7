/**
 * From a schema-valid spec value to the typed AnalysisSpec: schema defaults
 * filled in (read from the schema's `default`, so the documentation and the
 * behaviour cannot drift apart), per-method inference defaults, and paths made
 * absolute.
 */
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { specSchema, subschemaAt, type SchemaNode } from './schema.js';
import type { PathSeg } from './source.js';
import type { AnalysisSpec, HeightControl, InferenceMethod, InferenceSpec } from './types.js';

export interface NormalizeContext {
  /** Spec file name without extension (default `name`). */
  baseName: string;
  /** Folder a relative path at `path` is resolved against (spec folder, or cwd for --set values). */
  baseDirFor(path: PathSeg[]): string;
}

/** Fill the schema defaults of the object's declared properties (shallow; returns a copy). */
function withDefaults(obj: Record<string, unknown>, schema: SchemaNode | undefined): Record<string, any> {
  const out: Record<string, any> = { ...obj };
  // For a union (e.g. confounds: list | mapping) the mapping branch holds the properties.
  const s = schema?.anyOf ? schema.anyOf.find((b: SchemaNode) => b.type === 'object') : schema;
  const props: Record<string, SchemaNode> = s?.properties ?? {};
  for (const [k, s] of Object.entries(props)) {
    if (out[k] === undefined && s.default !== undefined) out[k] = structuredClone(s.default);
  }
  return out;
}

function expandPath(p: string, base: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? resolve(p) : resolve(base, p);
}

/** nilearn defaults of threshold_stats_img / non_parametric_inference, per method. */
function inferenceDefaults(raw: Record<string, any>): InferenceSpec {
  const method = raw.method as InferenceMethod;
  const s = withDefaults(raw, subschemaAt(['group', 'inference', 0]));
  let height: HeightControl | null;
  let stat: number | null = s.stat_threshold ?? null;
  switch (method) {
    case 'fpr':
    case 'fdr':
    case 'bonferroni':
      height = method;
      break;
    case 'none':
      height = 'none';
      if (stat === null) stat = 3.0;
      break;
    case 'cluster':
      height = s.height_control ?? (stat !== null ? 'none' : 'fpr');
      break;
    case 'permutation':
      height = null;
      break;
  }
  const alphaDefault = height === 'fpr' ? 0.001 : 0.05;
  return {
    method,
    alpha: s.alpha ?? alphaDefault,
    height_control: height,
    two_sided: s.two_sided ?? method !== 'permutation',
    cluster_threshold: s.cluster_threshold,
    stat_threshold: stat,
    n_perm: s.n_perm,
    seed: s.seed,
    tfce: s.tfce,
  };
}

export function normalizeSpec(raw: Record<string, any>, ctx: NormalizeContext): AnalysisSpec {
  const path = (p: PathSeg[], v: string) => expandPath(v, ctx.baseDirFor(p));
  const top = withDefaults(raw, specSchema);
  const spec: Record<string, any> = {
    glmflow: 1,
    name: top.name ?? ctx.baseName,
    output: path(['output'], top.output),
    report: top.report,
  };

  if (top.data) {
    const d = withDefaults(top.data, subschemaAt(['data']));
    d.bids = path(['data', 'bids'], d.bids);
    if (d.derivatives !== undefined) d.derivatives = path(['data', 'derivatives'], d.derivatives);
    spec.data = d;
  }

  let firstContrasts: string[] = [];
  if (top.first_level) {
    const f = withDefaults(top.first_level, subschemaAt(['first_level']));
    if (f.mask !== 'auto' && f.mask !== 'derivatives') f.mask = path(['first_level', 'mask'], f.mask);
    if (!Array.isArray(f.confounds)) f.confounds = withDefaults(f.confounds, subschemaAt(['first_level', 'confounds']));
    f.contrasts ??= {};
    firstContrasts = Object.keys(f.contrasts);
    spec.first_level = f;
  }
  if (top.single_trial) spec.single_trial = withDefaults(top.single_trial, subschemaAt(['single_trial']));

  if (top.group) {
    const g = withDefaults(top.group, subschemaAt(['group']));
    if (g.inputs) {
      const inputs: Record<string, string> = {};
      for (const [k, v] of Object.entries<string>(g.inputs)) inputs[k] = path(['group', 'inputs', k], v);
      g.inputs = inputs;
    }
    if (g.mask !== 'auto') g.mask = path(['group', 'mask'], g.mask);
    if (g.contrasts === undefined) g.contrasts = g.inputs ? Object.keys(g.inputs) : [...firstContrasts];
    g.inference = (g.inference as Record<string, any>[]).map(inferenceDefaults);
    spec.group = g;
  }

  if (top.roi) {
    const r = withDefaults(top.roi, subschemaAt(['roi']));
    if (r.atlas !== undefined) r.atlas = path(['roi', 'atlas'], r.atlas);
    if (r.masks) {
      // a pattern's {subject} survives path resolution; compile substitutes it per subject
      const masks: Record<string, string> = {};
      for (const [k, v] of Object.entries<string>(r.masks)) masks[k] = path(['roi', 'masks', k], v);
      r.masks = masks;
    }
    if (r.labels !== undefined) r.labels = path(['roi', 'labels'], r.labels);
    if (r.contrasts === undefined) r.contrasts = [...firstContrasts];
    spec.roi = r;
  }

  if (top.execution) {
    const e = withDefaults(top.execution, subschemaAt(['execution']));
    e.slurm = withDefaults(e.slurm ?? {}, subschemaAt(['execution', 'slurm']));
    spec.execution = e;
  }
  return orderLike(spec, specSchema) as AnalysisSpec;
}

/** Keys in the schema's order (for readable dumps; the hash does not depend on it). */
function orderLike(value: unknown, schema: SchemaNode | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => orderLike(v, schema?.items));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  let s = schema;
  if (s?.anyOf) s = s.anyOf.find((b: SchemaNode) => b.type === 'object');
  const props: Record<string, SchemaNode> | undefined = s?.properties;
  if (!props) return obj;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(props)) if (obj[k] !== undefined) out[k] = orderLike(obj[k], props[k]);
  for (const k of Object.keys(obj)) if (!(k in out) && obj[k] !== undefined) out[k] = obj[k];
  return out;
}
