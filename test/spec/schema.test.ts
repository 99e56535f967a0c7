import { test } from 'node:test';
import assert from 'node:assert/strict';
import { specSchema, validatorFor, type SchemaNode } from '../../src/spec/schema.js';

/** Every `properties` entry of the schema with its dotted key path. */
function allProperties(s: SchemaNode, where = ''): [string, SchemaNode][] {
  const out: [string, SchemaNode][] = [];
  for (const [k, sub] of Object.entries<SchemaNode>(s.properties ?? {})) {
    const p = where ? `${where}.${k}` : k;
    out.push([p, sub], ...allProperties(sub, p));
  }
  if (s.items && typeof s.items === 'object') out.push(...allProperties(s.items, `${where}[]`));
  for (const b of s.anyOf ?? []) out.push(...allProperties(b, where));
  return out;
}

test('every key of the schema is documented and its default is a valid value', () => {
  const props = allProperties(specSchema);
  assert.ok(props.length > 60, `only ${props.length} keys`);
  for (const [path, s] of props) {
    assert.equal(typeof s.description, 'string', `${path} has no description`);
    assert.ok(s.description.length > 10, `${path}: description too short`);
    if (s.default !== undefined) {
      const v = validatorFor(s);
      assert.ok(v(s.default), `${path}: default ${JSON.stringify(s.default)} is invalid: ${JSON.stringify(v.errors)}`);
    }
  }
  // every mapping rejects unknown keys
  const objects: SchemaNode[] = [];
  const walk = (s: SchemaNode) => {
    if (!s || typeof s !== 'object') return;
    if (s.type === 'object' && s.properties) objects.push(s);
    for (const v of Object.values(s)) if (v && typeof v === 'object') walk(v as SchemaNode);
  };
  walk(specSchema);
  assert.ok(objects.length >= 7);
  for (const o of objects) assert.equal(o.additionalProperties, false);
});
