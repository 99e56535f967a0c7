/**
 * The spec's JSON Schema (schemas/glmflow.schema.json) and an ajv instance that
 * knows its annotation keywords (`x-expected`: how to describe a valid value in
 * messages; `x-suggest`: values offered as "did you mean" for pattern keys).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import type { ValidateFunction } from 'ajv';

/** A (sub)schema of the spec schema: plain JSON. */
export type SchemaNode = { [key: string]: any };

const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;

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

/** The spec schema, parsed once. */
export const specSchema: SchemaNode = JSON.parse(readFileSync(schemaFile, 'utf8'));

// allErrors: report every problem at once; verbose: errors carry the failing
// value (`data`) and the schema holding the keyword (`parentSchema`).
const ajv = new (Ajv as any)({ allErrors: true, verbose: true, strict: true, strictTypes: false }) as {
  compile(schema: object): ValidateFunction;
  addVocabulary(words: string[]): void;
};
ajv.addVocabulary(['x-expected', 'x-suggest']);

const compiled = new WeakMap<object, ValidateFunction>();

/** A compiled validator for the whole schema or any subschema of it (no $ref is used, so subschemas stand alone). */
export function validatorFor(schema: SchemaNode): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    const { $schema: _s, $id: _i, ...rest } = schema;
    v = ajv.compile(schema === specSchema ? rest : schema);
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
