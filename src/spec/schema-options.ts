/**
 * The ajv configuration of the spec schema, shared by the run-time compiler (schema.ts) and the
 * build step that compiles the root validator ahead of time (scripts/build-validator.mjs), so
 * both produce the same validator.
 */

/** allErrors: report every problem at once; verbose: errors carry the failing value (`data`)
 *  and the schema holding the keyword (`parentSchema`), which validate.ts explains. */
export const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, strictTypes: false } as const;

/** The schema's annotation keywords (`x-expected`: how to describe a valid value in messages;
 *  `x-suggest`: values offered as "did you mean" for pattern keys). */
export const AJV_VOCABULARY = ['x-expected', 'x-suggest'];

/** The root schema as ajv compiles it: without `$schema` / `$id` (no meta-schema is loaded). */
export function rootSchemaForAjv(schema: { [key: string]: unknown }): { [key: string]: unknown } {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/**
 * What a compiled root validator depends on, as one string (its sha256 is recorded by the build
 * step and compared at run time): the schema text, the ajv options and keywords, ajv's version.
 */
export function validatorFingerprint(schemaText: string, ajvVersion: string): string {
  return JSON.stringify([schemaText, AJV_OPTIONS, AJV_VOCABULARY, ajvVersion]);
}
