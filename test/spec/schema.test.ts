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

test('the root validator is the one compiled at build time, and it judges specs as a fresh compile does', async () => {
  const prebuilt = validatorFor(specSchema) as ReturnType<typeof validatorFor> & { fingerprintSha256?: string };
  assert.equal(typeof prebuilt.fingerprintSha256, 'string', 'npm run build did not produce dist/src/spec/schema-validator.cjs for this schema');
  const { createRequire } = await import('node:module');
  const { AJV_OPTIONS, AJV_VOCABULARY, rootSchemaForAjv } = await import('../../src/spec/schema-options.js');
  const Ajv = createRequire(import.meta.url)('ajv').default;
  const ajv = new Ajv(AJV_OPTIONS);
  ajv.addVocabulary(AJV_VOCABULARY);
  const fresh = ajv.compile(rootSchemaForAjv(specSchema));
  const specs: unknown[] = [
    { glmflow: 1, data: { bids: 'x', task: 't' }, first_level: { contrasts: { a: 'a' } } },
    { glmflow: 2, data: { bids: 3 }, first_level: { hrf_model: 'spam', contrasts: [] }, extra: true },
    { glmflow: 1, data: { bids: 'x', task: 't', runs: [1, 'a'] }, first_level: { high_pass: -1, confounds: { motion: 'fancy' }, contrasts: { a: 'a' } } },
    { glmflow: 1, group: { contrasts: ['a'], permutation: { n_perm: 0 } } },
  ];
  for (const s of specs) {
    const ok = prebuilt(s);
    const errs = JSON.stringify((prebuilt.errors ?? []).map((e) => [e.instancePath, e.keyword, e.params, e.data, e.parentSchema]));
    assert.equal(fresh(s), ok, JSON.stringify(s));
    assert.equal(JSON.stringify((fresh.errors ?? []).map((e: any) => [e.instancePath, e.keyword, e.params, e.data, e.parentSchema])), errs, `errors of ${JSON.stringify(s)}`);
  }
  assert.equal(prebuilt(specs[1]), false);
});
