import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { MAPPINGS_DIR } from '../../../src/mapping/load.ts';
import { SCHEMA_FILE, schemaFileText } from '../../../src/mapping/schema-file.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/mappings');
const DOCS = path.resolve(import.meta.dirname, '../../../docs/mappings.md');

const shipped = readdirSync(MAPPINGS_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => path.join(MAPPINGS_DIR, f));

/** Every ```yaml block of docs/mappings.md that is a whole mapping (it names its source). */
const docExamples = [...readFileSync(DOCS, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .filter((y) => /^source:/m.test(y));

// An independent validator: ajv reads the committed file, not the zod schema it came from. Strict,
// except that a subschema may require a key its siblings define ("one of from, template, default")
// and a type may be a list (["string", "number", "boolean", "null"]), both plain JSON Schema.
const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(
  JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object,
);
const problems = (doc: unknown): string[] => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

describe('mappings/schema.json', () => {
  it('is what the zod schema generates (run npm run mappings:schema after changing it)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(schemaFileText());
  });

  it.each(shipped.map((f) => [path.basename(f), f]))('validates the shipped %s', (_name, file) => {
    expect(problems(parseYaml(readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('validates every mapping example in docs/mappings.md', () => {
    expect(docExamples.length).toBeGreaterThanOrEqual(1);
    for (const y of docExamples) expect(problems(parseYaml(y)), y).toEqual([]);
  });

  it.each(['broken-type.yaml', 'unknown-field.yaml'])('refuses the broken fixture %s, as loading does', (name) => {
    expect(problems(parseYaml(readFileSync(path.join(FIXTURES, name), 'utf8')))).not.toEqual([]);
  });

  it('refuses a label on a canonical field and a field with no source', () => {
    const base = { source: 'csv', object: 'x', id: 'Id' };
    expect(problems({ ...base, fields: { 'stage.status': { from: 'S' }, amount: { from: 'A', label: 'Size' } } })).not.toEqual([]);
    expect(problems({ ...base, fields: { 'stage.status': { from: 'S' }, amount: { type: 'number' } } })).not.toEqual([]);
    expect(problems({ ...base, fields: { 'stage.status': { from: 'S' }, 'extras.vp': { from: 'VP', label: 'Vice president' } } })).toEqual(
      [],
    );
  });

  it.each(shipped.map((f) => [path.basename(f), f]))('is named by %s in a modeline that resolves from the file itself', (_name, file) => {
    // yaml-language-server reads the first comment line starting "# yaml-language-server:" and
    // resolves a relative $schema against the folder of the YAML file.
    const line = readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => /^#\s+yaml-language-server\s*:/.test(l));
    const ref = /\$schema=(\S+)/.exec(line ?? '')?.[1];
    expect(ref).toBeDefined();
    expect(path.resolve(path.dirname(file), ref!)).toBe(SCHEMA_FILE);
  });
});
