import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/core/errors.ts';
import { loadMappingDir, loadMappingFile, MAPPINGS_DIR } from '../../../src/mapping/load.ts';
import { sourcePaths } from '../../../src/mapping/schema.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/mappings');

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('mapping files', () => {
  it('loads every file in mappings/', () => {
    const files = readdirSync(MAPPINGS_DIR).filter((f) => /\.ya?ml$/.test(f));
    const loaded = loadMappingDir();
    expect(loaded.size).toBe(files.length);
    for (const [name, m] of loaded) expect(m.fields['stage.status'], name).toBeDefined();
  });

  it('stops start-up naming the file and fields.amount.type', () => {
    const file = path.join(FIXTURES, 'broken-type.yaml');
    const e = errorOf(() => loadMappingFile(file));
    expect(isAppError(e, 'mapping_invalid')).toBe(true);
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/fields\.amount\.type: /);
  });

  it('names an unknown canonical field by its key', () => {
    const e = errorOf(() => loadMappingFile(path.join(FIXTURES, 'unknown-field.yaml')));
    expect(e.message).toMatch(/unknown-field\.yaml: fields\.amountt: unknown canonical field/);
  });

  it('reports a YAML syntax error with the file and line', () => {
    const e = errorOf(() => loadMappingFile(path.join(FIXTURES, 'not-yaml.yaml')));
    expect(e.message).toMatch(/not-yaml\.yaml \(line \d+\): not valid YAML/);
  });

  it('stops on a whole broken folder, naming the bad file', () => {
    expect(() => loadMappingDir(FIXTURES)).toThrow(/broken-type\.yaml|not-yaml\.yaml|unknown-field\.yaml/);
  });

  it('lists the source fields a CRM query must select', () => {
    const m = loadMappingFile(path.join(MAPPINGS_DIR, 'skygeni.csv.yaml'));
    expect(sourcePaths(m)).toEqual(expect.arrayContaining(['deal_id', 'outcome', 'deal_amount', 'created_date']));
  });
});
