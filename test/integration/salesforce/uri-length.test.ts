import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../../connectors/salesforce/index.ts';
import type { Credentials, TaskRequest } from '../../../connectors/types.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { defaultMapping } from '../../../src/mapping/load.ts';

// A REST query rides in the GET URI: Salesforce refuses URI plus headers past 16,384 bytes (431),
// and any SOQL statement past 100,000 characters (docs/crm-limits.md).
let sb: Sandbox;
let creds: Credentials;

beforeAll(async () => {
  sb = await startSandbox({ deals: 200, seed: 41, salesforce: { riskFields: 'ready' } });
  const t = sb.salesforce.issueTokens();
  creds = {
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? null,
    instanceUrl: t.instance_url,
    authBaseUrl: sb.salesforce.loginUrl,
    accountId: sb.salesforce.orgId,
  };
});
afterAll(async () => {
  await sb?.close();
});

const query = (soql: string) =>
  fetch(`${sb.salesforce.instanceUrl}/services/data/v66.0/query?q=${encodeURIComponent(soql)}`, {
    headers: { authorization: `Bearer ${creds.accessToken}` },
  });
const idList = (n: number) => Array.from({ length: n }, (_, i) => `'006dM0000${String(i).padStart(6, '0')}AAA'`).join(', ');

describe('Salesforce request size limits', () => {
  it('answers 431 once the URI and headers pass 16,384 bytes, and serves one just under', async () => {
    expect((await query(`SELECT Id FROM Opportunity WHERE Id IN (${idList(450)})`)).status).toBe(200);
    expect((await query(`SELECT Id FROM Opportunity WHERE Id IN (${idList(600)})`)).status).toBe(431);
  });

  it('refuses an IN list of more than 500 values with MALFORMED_QUERY', async () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `'n${i}'`).join(', ');
    expect((await query(`SELECT Id FROM Opportunity WHERE Name IN (${names(500)})`)).status).toBe(200);
    const res = await query(`SELECT Id FROM Opportunity WHERE Name IN (${names(501)})`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual([
      { errorCode: 'MALFORMED_QUERY', message: expect.stringContaining('IN lists are limited to 500 values, got 501') },
    ]);
  });

  it('refuses a SOQL statement over 100,000 characters (a Bulk API 2.0 job carries it in its body)', async () => {
    const soql = `SELECT Id FROM Opportunity WHERE Name != '${'x'.repeat(100_000)}'`;
    const res = await fetch(`${sb.salesforce.instanceUrl}/services/data/v66.0/jobs/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${creds.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ operation: 'query', query: soql }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual([
      { errorCode: 'INVALIDJOB', message: 'InvalidJob : SOQL statements can not be longer than 100000 characters' },
    ]);
  });

  it('looks up long task keys in queries that each fit the URI, and finds them all again', async () => {
    const sf = await createSalesforceConnector({
      tenantId: 't-uri',
      mapping: defaultMapping('salesforce'),
      clientId: sb.salesforce.clientId,
      clientSecret: sb.salesforce.clientSecret,
      loginUrl: sb.salesforce.loginUrl,
      credentials: {
        load: async () => ({ ...creds }),
        save: async (c) => {
          creds = { ...c };
        },
        markNeedsReauth: async (r) => {
          throw new Error(r);
        },
      },
    });
    const opps = sb.state.salesforce.opportunities().slice(0, 150);
    // 100-character keys of non-ASCII text: six URI characters each, 100 of them would need ~60 KB.
    const tasks: TaskRequest[] = opps.map((o) => ({
      key: `${o.Id}:${'ü'.repeat(81)}`,
      dealExternalId: String(o.Id),
      ownerId: null,
      subject: 'Call the buyer',
      description: 'Stalled',
      priority: 'high',
      dueDate: new Date('2026-12-01T00:00:00Z'),
    }));
    const seen = sb.state.calls.length;

    const created = await sf.upsertTasks(tasks);
    const again = await sf.upsertTasks(tasks);

    expect(created.map((r) => r.status)).toEqual(tasks.map(() => 'created'));
    expect(again.map((r) => r.status)).toEqual(tasks.map(() => 'open'));
    expect(sb.state.calls.slice(seen).filter((c) => c.status >= 400)).toEqual([]);
  });
});
