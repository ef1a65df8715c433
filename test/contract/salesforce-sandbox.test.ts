import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import type { CredentialStore, Credentials } from '../../connectors/types.ts';
import { startSandbox } from '../../sandbox/index.ts';
import { defaultMapping } from '../../src/mapping/load.ts';
import { connectorContract, type SourceHandle } from './connector-contract.ts';

/**
 * The real jsforce against the sandbox org on loopback (no nock in this file). A first sync of
 * 2,100 opportunities is two REST query batches (Salesforce's default batch is 2,000 rows).
 * People's edits and deletes go through the same REST API with a token of their own.
 */
const mapping = defaultMapping('salesforce');
const fields = mapping.writeBack!.fields;
/** Small enough to spend in a second, large enough for every case's calls (a paged first sync takes about 30). */
const DAILY_API_LIMIT = 1_500;

async function make(size: 'paged' | 'small'): Promise<SourceHandle> {
  const sb = await startSandbox({
    deals: size === 'paged' ? 2_100 : 40,
    seed: 23,
    salesforce: { riskFields: 'ready', dailyApiLimit: DAILY_API_LIMIT },
  });
  const issued = sb.salesforce.issueTokens();
  let stored: Credentials = {
    accessToken: issued.access_token,
    refreshToken: issued.refresh_token ?? null,
    instanceUrl: issued.instance_url,
    authBaseUrl: sb.salesforce.loginUrl,
    accountId: sb.salesforce.orgId,
  };
  const reauth: string[] = [];
  const credentials: CredentialStore = {
    load: async () => ({ ...stored }),
    save: async (c) => {
      stored = { ...c };
    },
    markNeedsReauth: async (reason) => void reauth.push(reason),
  };
  const user = sb.salesforce.issueTokens();
  const api = `${sb.salesforce.instanceUrl}/services/data/v${sb.salesforce.version}`;
  const asUser = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${user.access_token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok && res.status !== 403) throw new Error(`sandbox ${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  return {
    connect: () =>
      createSalesforceConnector({
        tenantId: 't-contract',
        mapping,
        credentials,
        clientId: sb.salesforce.clientId,
        clientSecret: sb.salesforce.clientSecret,
        loginUrl: sb.salesforce.loginUrl,
      }),
    now: () => sb.clock.now(),
    elapse: async (ms) => void sb.clock.advance({ ms }),
    liveIds: async () => sb.state.salesforce.opportunities().map((o) => String(o.Id)),
    // sObject Collections, 200 records a request, as a data import would.
    edit: async (ids) => {
      const NextStep = `Contract edit at ${sb.clock.now().toISOString()}`;
      for (let i = 0; i < ids.length; i += 200) {
        const records = ids.slice(i, i + 200).map((Id) => ({ attributes: { type: 'Opportunity' }, Id, NextStep }));
        const saved = (await (await asUser('PATCH', '/composite/sobjects', { allOrNone: true, records })).json()) as Array<{
          success: boolean;
        }>;
        if (!saved.every((r) => r.success)) throw new Error(`sandbox refused an edit: ${JSON.stringify(saved)}`);
      }
    },
    create: async (count) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const res = await asUser('POST', '/sobjects/Opportunity', {
          Name: `Contract deal ${i + 1}`,
          StageName: 'Prospecting',
          CloseDate: '2027-03-31',
          Amount: 25000,
        });
        ids.push(((await res.json()) as { id: string }).id);
      }
      return ids;
    },
    remove: async (ids) => {
      for (const id of ids) await asUser('DELETE', `/sobjects/Opportunity/${id}`);
    },
    refuseWrites: async (ids) =>
      void sb.faults.add({
        on: 'PATCH sf composite/sobjects',
        rejectRecords: { ids, statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'Closed Lost needs a loss reason', fields: [] },
      }),
    readRisk: async (id) => {
      const o = sb.state.salesforce.opportunity(id);
      return o?.[fields.score] == null ? null : { score: Number(o[fields.score]), category: String(o[fields.category]) };
    },
    tasksWithKey: async (key) => sb.state.salesforce.tasks().filter((t) => t.Risk_Task_Key__c === key).length,
    revokeToken: async () => sb.tokens.revokeAll('salesforce'),
    // Spends the org's real daily allocation: every REST call counts, and past the limit the
    // sandbox answers 403 REQUEST_LIMIT_EXCEEDED as Salesforce does.
    exhaustQuota: async () => {
      for (;;) {
        const batch = await Promise.all(Array.from({ length: 50 }, () => asUser('GET', '/limits')));
        if (batch.some((r) => r.status === 403)) return;
      }
    },
    reauthRequests: () => reauth.length,
    close: () => sb.close(),
  };
}

connectorContract('salesforce over the sandbox', {
  make,
  timeoutMs: 60_000,
  skip: {
    restores:
      'the sandbox has no recycle-bin restore: Salesforce undeletes only through the SOAP API undelete() call or Apex, neither of which the sandbox serves',
  },
});
