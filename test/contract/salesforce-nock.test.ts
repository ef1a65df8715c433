import nock from 'nock';
import { afterEach, beforeEach } from 'vitest';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import { defaultMapping } from '../../src/mapping/load.ts';
import { memoryCredentials } from '../integration/salesforce/helpers.ts';
import { connectorContract, type SourceHandle } from './connector-contract.ts';
import { FakeSalesforceOrg } from './fakes/salesforce-org.ts';

/**
 * The real jsforce against a nock org (fakes/salesforce-org.ts): 2,150 opportunities make a
 * first sync of two 2,000-row batches, with history enrichment on as in production.
 */
const mapping = defaultMapping('salesforce');
const fields = mapping.writeBack!.fields;
const keyField = mapping.writeBack!.tasks.keyField ?? 'Risk_Task_Key__c';

async function make(size: 'paged' | 'small'): Promise<SourceHandle> {
  const org = new FakeSalesforceOrg({ opportunities: size === 'paged' ? 2_150 : 30, now: Date.parse('2026-11-24T09:00:00Z'), keyField });
  const credentials = memoryCredentials();
  return {
    connect: () =>
      createSalesforceConnector({
        tenantId: 't-contract',
        mapping,
        credentials,
        clientId: '3MVG9-client-id',
        clientSecret: 'client-secret-value',
      }),
    now: () => new Date(org.now),
    elapse: async (ms) => {
      org.now += Math.floor(ms / 1000) * 1000;
    },
    liveIds: async () => [...org.opps.values()].filter((r) => !r.IsDeleted).map((r) => r.Id),
    edit: async (ids) => {
      for (const id of ids) org.touch(id, { NextStep: `Contract edit at ${new Date(org.now).toISOString()}` });
    },
    create: async (count) => Array.from({ length: count }, () => org.add()),
    remove: async (ids) => {
      for (const id of ids) org.touch(id, { IsDeleted: true });
    },
    restore: async (ids) => {
      for (const id of ids) org.touch(id, { IsDeleted: false });
    },
    refuseWrites: async (ids) => {
      for (const id of ids) org.refused.add(id);
    },
    readRisk: async (id) => {
      const r = org.opps.get(id);
      return r?.[fields.score] == null ? null : { score: Number(r[fields.score]), category: String(r[fields.category]) };
    },
    tasksWithKey: async (key) => org.tasks.filter((t) => t.key === key && !t.IsDeleted).length,
    revokeToken: async () => {
      org.mode = 'revoked';
    },
    exhaustQuota: async () => {
      org.mode = 'exhausted';
    },
    reauthRequests: () => credentials.reauthReasons.length,
    close: async () => org.stop(),
  };
}

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

connectorContract('salesforce over nock', { make, timeoutMs: 30_000 });
