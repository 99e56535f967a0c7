/**
 * The spec's JSON Schema (schemas/glmflow.schema.json) and its ajv validators (options and
 * annotation keywords in schema-options.ts): the root one compiled at build time when
 * available, subschemas (used only to explain errors) compiled on demand.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { AJV_OPTIONS, AJV_VOCABULARY, rootSchemaForAjv, validatorFingerprint } from './schema-options.js';

/** A (sub)schema of the spec schema: plain JSON. */
export type SchemaNode = { [key: string]: any };

const require = createRequire(import.meta.url);

function findSchemaFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'schemas', 'glmflow.schema.json');
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) throw new Error('schemas/glmflow.schema.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Absolute path of schemas/glmflow.schema.json. */
export const schemaFile = findSchemaFile();

const schemaText = readFileSync(schemaFile, 'utf8');

/** The spec schema, parsed once. */
export const specSchema: SchemaNode = JSON.parse(schemaText);

interface AjvCompiler { compile(schema: object): ValidateFunction; addVocabulary(words: string[]): void }
let ajv: AjvCompiler | undefined;

/** The run-time compiler, loaded on first need (a valid spec never needs it: see rootValidator). */
function compiler(): AjvCompiler {
  if (!ajv) {
    const Ajv = require('ajv').default;
    ajv = new Ajv(AJV_OPTIONS) as AjvCompiler;
    ajv.addVocabulary(AJV_VOCABULARY);
  }
  return ajv;
}

/**
 * The root validator compiled at build time (scripts/build-validator.mjs) when it was built from
 * this very schema text, with these ajv options and this ajv version; else undefined (not built,
 * or something changed since: compile it).
 */
function prebuiltRootValidator(): ValidateFunction | undefined {
  let built: (ValidateFunction & { fingerprintSha256?: string }) | undefined;
  try {
    built = require('./schema-validator.cjs');
  } catch {
    return undefined;
  }
  const ajvVersion = (require('ajv/package.json') as { version: string }).version;
  const fingerprint = createHash('sha256').update(validatorFingerprint(schemaText, ajvVersion)).digest('hex');
  return built?.fingerprintSha256 === fingerprint ? built : undefined;
}

const compiled = new WeakMap<object, ValidateFunction>();

/** A compiled validator for the whole schema or any subschema of it (no $ref is used, so subschemas stand alone). */
export function validatorFor(schema: SchemaNode): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = (schema === specSchema ? prebuiltRootValidator() : undefined) ?? compiler().compile(schema === specSchema ? rootSchemaForAjv(schema) : schema);
    compiled.set(schema, v);
  }
  return v;
}

/** The subschema at a key path (object properties, array items, map values); undefined when none. */
export function subschemaAt(path: readonly (string | number)[], root: SchemaNode = specSchema): SchemaNode | undefined {
  let s: SchemaNode | undefined = root;
  for (const seg of path) {
    if (!s) return undefined;
    if (typeof seg === 'number' || /^\d+$/.test(seg)) {
      if (s.items && typeof s.items === 'object') {
        s = s.items;
        continue;
      }
    }
    if (s.properties && Object.prototype.hasOwnProperty.call(s.properties, seg)) s = s.properties[seg as string];
    else if (s.additionalProperties && typeof s.additionalProperties === 'object') s = s.additionalProperties;
    else if (s.anyOf) {
      // Follow the object branch of a union (e.g. confounds: list | mapping).
      const obj: SchemaNode | undefined = s.anyOf.find((b: SchemaNode) => b.type === 'object');
      s = obj?.properties?.[seg as string];
    } else return undefined;
  }
  return s;
}

/**
 * Every key of every mapping in the schema -> the dotted sections where it is
 * valid (for "'high_pass' belongs under first_level").
 */
export const keyIndex: Map<string, string[]> = (() => {
  const index = new Map<string, string[]>();
  const walk = (s: SchemaNode | undefined, where: string) => {
    if (!s || typeof s !== 'object') return;
    if (s.properties) {
      for (const [k, sub] of Object.entries<SchemaNode>(s.properties)) {
        const list = index.get(k) ?? [];
        list.push(where || '(top level)');
        index.set(k, list);
        walk(sub, where ? `${where}.${k}` : k);
      }
    }
    if (s.items && typeof s.items === 'object') walk(s.items, where ? `${where} items` : 'items');
    for (const b of s.anyOf ?? []) walk(b, where);
  };
  walk(specSchema, '');
  return index;
})();
