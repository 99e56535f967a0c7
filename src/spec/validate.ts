/**
 * Schema validation with one readable message per real problem.
 *
 * ajv (allErrors) reports every failing keyword, and for a union (`anyOf`) the
 * failures of every branch, most of them noise. Here a union is explained by
 * the branch whose JSON type matches the value (re-validated on its own, so its
 * own messages are precise); when no branch matches, or the value simply is not
 * one of the allowed values, a single message names all the alternatives.
 */
import type { ErrorObject } from 'ajv';
import { closest } from './suggest.js';
import { keyIndex, specSchema, validatorFor, type SchemaNode } from './schema.js';
import type { PathSeg } from './source.js';

export interface SchemaProblem {
  /** Key path the problem is located at (for an unknown key: the key itself). */
  path: PathSeg[];
  /** Key path shown in the message (for an unknown key: the mapping holding it). */
  display: PathSeg[];
  /** Locate the key or the value at `path`. */
  at: 'key' | 'value';
  /** `<what is wrong>; expected <what>` */
  message: string;
  /** True when the value is a well-typed but unknown choice (enum/const/pattern). */
  identity?: boolean;
  /** A required key is missing (nothing at `path` can be removed to get past it). */
  required?: boolean;
}

/** Validate a spec value against the schema; every problem, with locations. */
export function schemaProblems(data: unknown): SchemaProblem[] {
  return dedupe(validateWith(specSchema, data, []));
}

function dedupe(ps: SchemaProblem[]): SchemaProblem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.path.join('\u0000')}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---------- describing values and schemas ----------

/** A value as written in YAML-ish form: 'text', 3, [0, 1]. */
export function repr(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(repr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as object).map(([k, x]) => `${k}: ${repr(x)}`).join(', ')}}`;
  return String(v);
}

/** "the text 'x'", "the number 3", "a list", ... for "got ..." messages. */
function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (typeof v === 'string') return `the text '${v}'`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `a list ${repr(v)}`;
  return 'a mapping';
}

function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function rangeText(s: SchemaNode): string {
  const noun = s.type === 'integer' ? 'an integer' : 'a number';
  const lo = s.minimum !== undefined ? ['>=', s.minimum] : s.exclusiveMinimum !== undefined ? ['>', s.exclusiveMinimum] : undefined;
  const hi = s.maximum !== undefined ? ['<=', s.maximum] : s.exclusiveMaximum !== undefined ? ['<', s.exclusiveMaximum] : undefined;
  if (lo && hi) {
    if (lo[0] === '>=' && hi[0] === '<=') return `${noun} from ${lo[1]} to ${hi[1]}`;
    if (lo[0] === '>' && hi[0] === '<') return `${noun} strictly between ${lo[1]} and ${hi[1]}`;
    return `${noun} ${lo[0]} ${lo[1]} and ${hi[0]} ${hi[1]}`;
  }
  if (lo) return `${noun} ${lo[0]} ${lo[1]}`;
  if (hi) return `${noun} ${hi[0]} ${hi[1]}`;
  return noun;
}

/** What a schema accepts, in words. */
export function describeSchema(s: SchemaNode | undefined): string {
  if (!s) return 'a valid value';
  if (typeof s['x-expected'] === 'string') return s['x-expected'];
  if (Array.isArray(s.enum)) return `one of ${s.enum.map(repr).join(', ')}`;
  if (s.const !== undefined) return repr(s.const);
  if (Array.isArray(s.anyOf)) return s.anyOf.map((b: SchemaNode) => describeSchema(b)).join(' or ');
  switch (s.type) {
    case 'integer':
    case 'number':
      return rangeText(s);
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping';
    case 'null':
      return 'null';
  }
  return 'a valid value';
}

/** Allowed string values of a schema (enum, const, x-suggest, also inside a union). */
function choices(s: SchemaNode | undefined): string[] {
  if (!s) return [];
  const out: string[] = [];
  if (Array.isArray(s.enum)) out.push(...s.enum.filter((x: unknown) => typeof x === 'string'));
  if (typeof s.const === 'string') out.push(s.const);
  if (Array.isArray(s['x-suggest'])) out.push(...s['x-suggest']);
  for (const b of s.anyOf ?? []) out.push(...choices(b));
  return out;
}

function invalidValue(value: unknown, s: SchemaNode): string {
  const sugg = typeof value === 'string' ? closest(value, choices(s)) : undefined;
  return `invalid value ${repr(value)}${sugg ? ` (did you mean '${sugg}'?)` : ''}; expected ${describeSchema(s)}`;
}

// ---------- ajv errors -> problems ----------

function typeFits(branch: SchemaNode, value: unknown): boolean {
  const t = jsonType(value);
  let types: string[] | undefined = branch.type === undefined ? undefined : [].concat(branch.type);
  if (!types && branch.const !== undefined) types = [jsonType(branch.const)];
  if (!types) return true;
  return types.includes(t) || (t === 'integer' && types.includes('number'));
}

/** Decode an ajv instancePath into key segments (array positions as numbers). */
function segments(instancePath: string, data: unknown): PathSeg[] {
  if (instancePath === '') return [];
  const out: PathSeg[] = [];
  let cur: any = data;
  for (const raw of instancePath.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = cur?.[seg];
    }
  }
  return out;
}

const within = (p: string, root: string) => p === root || p.startsWith(root + '/');

function validateWith(schema: SchemaNode, data: unknown, base: PathSeg[]): SchemaProblem[] {
  const validate = validatorFor(schema);
  if (validate(data)) return [];
  const errors = (validate.errors ?? []) as ErrorObject[];
  const out: SchemaProblem[] = [];

  // Unions first, outermost first; everything under a union is re-derived from its chosen branch.
  const handled: string[] = [];
  const unions = errors
    .filter((e) => e.keyword === 'anyOf')
    .sort((a, b) => a.instancePath.split('/').length - b.instancePath.split('/').length);
  for (const e of unions) {
    if (handled.some((h) => within(e.instancePath, h))) continue;
    handled.push(e.instancePath);
    out.push(...explainUnion(e.parentSchema as SchemaNode, e.data, [...base, ...segments(e.instancePath, data)]));
  }
  for (const e of errors) {
    if (e.keyword === 'anyOf' || handled.some((h) => within(e.instancePath, h))) continue;
    const p = explain(e, [...base, ...segments(e.instancePath, data)]);
    if (p) out.push(p);
  }
  return out;
}

function explainUnion(s: SchemaNode, value: unknown, path: PathSeg[]): SchemaProblem[] {
  const fitting = (s.anyOf as SchemaNode[]).filter((b) => typeFits(b, value));
  if (fitting.length === 1) {
    const inner = validateWith(fitting[0], value, path);
    // A wrong choice at the union itself ('al' for 'all' | list): name every alternative.
    const allAtTop = inner.length > 0 && inner.every((p) => p.identity && p.path.length === path.length);
    if (!allAtTop) return inner;
    return [{ path, display: path, at: 'value', message: invalidValue(value, s), identity: true }];
  }
  if (fitting.length > 1) return [{ path, display: path, at: 'value', message: invalidValue(value, s), identity: true }];
  return [{ path, display: path, at: 'value', message: `got ${describeValue(value)}; expected ${describeSchema(s)}` }];
}

function explain(e: ErrorObject, path: PathSeg[]): SchemaProblem | undefined {
  const ps = e.parentSchema as SchemaNode;
  const value = e.data;
  const at = (message: string, extra: Partial<SchemaProblem> = {}): SchemaProblem => ({ path, display: path, at: 'value', message, ...extra });
  // The inner error of a propertyNames failure repeats the outer one.
  if ((e as { propertyName?: string }).propertyName !== undefined) return undefined;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys(ps.properties ?? {});
      const sugg = closest(key, allowed);
      const where = path.length === 0 ? 'unknown top-level key' : 'unknown key';
      let msg: string;
      if (sugg) msg = `${where} '${key}' — did you mean '${sugg}'?`;
      else {
        const elsewhere = keyIndex.get(key);
        msg = elsewhere
          ? `${where} '${key}' — it belongs under ${elsewhere.join(' or ')}`
          : `${where} '${key}'; expected one of: ${allowed.join(', ')}`;
      }
      return { path: [...path, key], display: path, at: 'key', message: msg };
    }
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty;
      return { path, display: path, at: 'key', message: `missing required key '${key}'; expected ${describeSchema(ps.properties?.[key])}`, required: true };
    }
    case 'propertyNames': {
      const name = String((e.params as { propertyName: string }).propertyName);
      return { path: [...path, name], display: path, at: 'key', message: `invalid name '${name}'; expected ${describeSchema(ps.propertyNames)}` };
    }
    case 'type':
      return at(`got ${describeValue(value)}; expected ${describeSchema(ps)}`);
    case 'enum':
    case 'const':
    case 'pattern':
      return at(invalidValue(value, ps), { identity: true });
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return at(`${repr(value)} is out of range; expected ${describeSchema(ps)}`);
    case 'minLength':
      return at(`must not be empty; expected ${describeSchema(ps)}`);
    case 'minItems':
    case 'maxItems': {
      const n = Array.isArray(value) ? value.length : 0;
      return at(`has ${n} item${n === 1 ? '' : 's'}; expected ${describeSchema(ps)}`);
    }
    case 'minProperties':
      return at(`must not be empty; expected ${describeSchema(ps)}`);
    case 'uniqueItems': {
      const { i, j } = e.params as { i: number; j: number };
      const arr = value as unknown[];
      return at(`${repr(arr[j])} is listed twice (items ${Math.min(i, j)} and ${Math.max(i, j)}); expected each item once`);
    }
    default:
      return at(`${e.message ?? 'invalid'}; expected ${describeSchema(ps)}`);
  }
}
