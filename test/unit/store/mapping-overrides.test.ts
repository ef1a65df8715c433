import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveMappingOverride } from '../../../src/mapping/resolve.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';

const now = new Date('2026-11-24T10:00:00Z');
const valid = {
  source: 'hubspot',
  object: 'deals',
  id: 'hs_object_id',
  fields: {
    'stage.status': { from: '_derived.stage.status' },
    amount: { from: 'properties.amount', type: 'number' },
    'extras.territory': { from: 'properties.territory__c' },
  },
};

describe('tenant mapping overrides', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
    await t.store.tenants.ensure('t1');
    await t.store.tenants.ensure('t2');
  });
  afterAll(async () => t.drop());

  it('stores a valid override for its tenant only', async () => {
    await saveMappingOverride(t.store, 't1', 'hubspot', valid, 'admin@acme.test', now);
    expect(await t.store.mappings.get('t1', 'hubspot')).toEqual(valid);
    expect(await t.store.mappings.get('t2', 'hubspot')).toBeNull();
  });

  it('refuses an invalid override naming the key path, and keeps the previous one', async () => {
    const bad = { ...valid, fields: { ...valid.fields, amount: { from: 'properties.amount', type: 'money' } } };
    await expect(saveMappingOverride(t.store, 't1', 'hubspot', bad, null, now)).rejects.toThrow(/fields\.amount\.type/);
    expect(await t.store.mappings.get('t1', 'hubspot')).toEqual(valid);
  });

  it('refuses a mapping written for another CRM', async () => {
    await expect(saveMappingOverride(t.store, 't1', 'salesforce', valid, null, now)).rejects.toThrow(
      /source: expected "salesforce", got "hubspot"/,
    );
  });
});
