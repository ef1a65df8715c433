import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deal } from '../../../src/core/deal.ts';
import { storableText, storableValue } from '../../../src/core/storable-text.ts';
import { loadMappingFile, MAPPINGS_DIR } from '../../../src/mapping/load.ts';
import { compileMapping } from '../../../src/mapping/to-deal.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';
import { DEFAULT_SEED } from './helpers/fuzz-config.ts';
import { hostileText } from './helpers/hostile-values.ts';

/**
 * Records of any JSON shape (objects and arrays where a value is expected, keys with NUL, lone
 * surrogates and `__proto__`, numbers and booleans where text is expected) through each shipped
 * mapping and the store, the way a page of a sync goes: clean, map, upsert. No CRM API lets
 * these shapes through (HubSpot keeps strings, Salesforce its field types, CSV text), so this is
 * the engine's own guard: a record is mapped or rejected naming one of the mapping's fields,
 * and a mapped deal is stored or refused alone. Nothing throws.
 */
const seed = Number(process.env.FUZZ_SEED ?? DEFAULT_SEED) + 4;
const key = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'a.b', '\u0000', 'x\ud800') },
);
const leaf = fc.oneof(
  hostileText,
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.date({ noInvalidDate: false }),
  fc.constantFrom('', '2026-05-01', '1767225600000', '12,5', 'Won', 'open'),
);
// Objects as JSON.parse makes them (with Object.prototype): a CRM's answer never holds null-prototype ones.
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(key, tie('node'), { maxKeys: 3, noNullPrototype: true }),
  ),
})).node;

/** A record each mapping takes as it is (the connectors always derive a stage history, [] when unknown): the fuzz changes a few of its fields to any shape. */
const VALID: Record<string, (id: string) => Record<string, unknown>> = {
  'hubspot.yaml': (id) => ({
    hs_object_id: id,
    dealname: 'Deal',
    amount: '1000',
    _derived: { stage: { status: 'open', label: 'Qualified', order: 1 }, stageHistory: [] },
  }),
  'salesforce.yaml': (id) => ({
    Id: id,
    Name: 'Deal',
    Amount: 1000,
    IsClosed: false,
    IsWon: false,
    StageName: 'Prospecting',
    CloseDate: '2027-01-01',
    _derived: { stageHistory: [] },
  }),
  'skygeni.csv.yaml': (id) => ({ deal_id: id, outcome: 'Open', deal_amount: '1000', created_date: '2026-01-05' }),
  'ibm.csv.yaml': () => ({ 'Opportunity Result': 'Won', 'Opportunity Amount USD': '1000' }),
};

function recordFor(file: string, fields: readonly string[]): fc.Arbitrary<{ id: string; data: Record<string, unknown> }> {
  // The mapping's own source fields, found and then holding the wrong shape, plus fields it does not know.
  const changed = fc.dictionary(fc.constantFrom(...fields), value, { maxKeys: 3, noNullPrototype: true });
  return fc
    .record({
      id: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), hostileText),
      changed,
      other: fc.dictionary(key, value, { maxKeys: 4, noNullPrototype: true }),
    })
    .map(({ id, changed, other }) => ({ id, data: { ...other, ...VALID[file]!(id), ...changed } }));
}

describe('fuzz: records of any shape through each mapping and the store', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
    await t.store.tenants.ensure('any');
  }, 60_000);
  afterAll(async () => {
    await t?.drop();
  });

  for (const file of ['hubspot.yaml', 'salesforce.yaml', 'skygeni.csv.yaml', 'ibm.csv.yaml']) {
    it(`${file}: maps or rejects by field, stores or refuses alone, never throws`, async () => {
      const mapping = loadMappingFile(path.join(MAPPINGS_DIR, file));
      const map = compileMapping(mapping);
      const fields = Object.values(mapping.fields).flatMap((f) => [f.from ?? []].flat().map((p) => p.split('.')[0]!));
      const named = new Set([...Object.keys(mapping.fields), mapping.id, ...Object.keys(mapping.fields).map((k) => k.split('.')[0]!)]);
      let mapped = 0;
      let rejected = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            recordFor(
              file,
              [...new Set([...fields, mapping.id])].filter((f) => f !== '$row'),
            ),
            { minLength: 1, maxLength: 40 },
          ),
          async (records) => {
            const writes = [];
            for (const [i, raw] of records.entries()) {
              // As a sync page is mapped (src/sync/steps/fetch-and-store.ts): the text made storable first.
              const data = storableValue(raw.data).value;
              const row = mapping.source === 'csv' ? { row: i + 2 } : {};
              const r = map({ id: storableText(`${raw.id}#${i}`), data, ...row }, { tenantId: 'any', source: mapping.source });
              if (!r.ok) {
                rejected++;
                expect(r.error.recordId).not.toBe('');
                // The field is the mapping's (a canonical key, its first segment for nested zod issues) or its id path.
                expect(named.has(r.error.field) || named.has(r.error.field.split('.')[0]!), r.error.field).toBe(true);
                continue;
              }
              mapped++;
              expect(Deal.safeParse(r.deal).success).toBe(true);
              writes.push({ deal: r.deal, raw: data });
            }
            const out = await t.store.deals.upsertMany('any', writes, new Date('2026-11-24T10:00:00Z'));
            const unique = new Set(writes.map((w) => w.deal.externalId)).size;
            expect(out.inserted + out.updated + out.unchanged + out.rejected.length).toBe(unique);
            for (const x of out.rejected) expect(x.externalId && x.reason).toBeTruthy();
          },
        ),
        { seed, numRuns: Number(process.env.FUZZ_SHAPES ?? 100), endOnFailure: true },
      );
      expect(mapped).toBeGreaterThan(0);
      expect(rejected).toBeGreaterThan(0);
    }, 120_000);
  }
});
