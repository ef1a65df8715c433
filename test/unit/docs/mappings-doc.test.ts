import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EXCEL_FORMATS } from '../../../src/mapping/dates.ts';
import { CANONICAL_FIELDS, FieldSpec, Lookup, Mapping, parseMapping, ValueType } from '../../../src/mapping/schema.ts';

const docs = readFileSync(path.resolve(import.meta.dirname, '../../../docs/mappings.md'), 'utf8');
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// docs/mappings.md is the reference a new user maps a file from: it must name everything the
// schema accepts, so a key added to the schema without a word in the docs fails here.
describe('docs/mappings.md', () => {
  it('lists every canonical field with its default type', () => {
    for (const [field, type] of Object.entries(CANONICAL_FIELDS)) {
      expect(docs, field).toMatch(new RegExp(`^\\| \`${escapeRegExp(field)}\` \\| ${type} \\|`, 'm'));
    }
  });

  it('documents every key of a mapping, a field, a lookup, every type and the spreadsheet formats', () => {
    const keys = [
      ...Object.keys(Mapping.shape),
      ...Object.keys(FieldSpec.shape),
      ...Object.keys(Lookup.shape),
      ...ValueType.options,
      ...EXCEL_FORMATS,
      '$row',
      'extras.<name>',
    ];
    for (const key of keys) expect(docs, key).toContain(`\`${key}\``);
  });

  it('shows only YAML that loads: whole mappings as they are, fragments inside a minimal mapping', () => {
    const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => parseYaml(m[1]!) as Record<string, unknown> | null)
      .filter((d) => d !== null);
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    const topLevel = new Set(Object.keys(Mapping.shape));
    for (const doc of blocks) {
      const base = { source: doc.writeBack ? 'salesforce' : 'csv', object: 'x', id: 'Id', fields: { 'stage.status': { from: 'S' } } };
      const whole = doc.source
        ? doc
        : Object.keys(doc).every((k) => topLevel.has(k))
          ? { ...base, ...doc, fields: { ...base.fields, ...(doc.fields as object) } }
          : { ...base, fields: { ...base.fields, ...doc } };
      expect(() => parseMapping(whole, 'docs example'), JSON.stringify(doc)).not.toThrow();
    }
  });

  it('is linked from the README', () => {
    expect(readFileSync(path.resolve(import.meta.dirname, '../../../README.md'), 'utf8')).toContain('(docs/mappings.md)');
  });
});
