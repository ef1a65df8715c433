import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSalesforceConnector, type SalesforceConnector } from '../../../connectors/salesforce/index.ts';
import type { CredentialStore, Credentials } from '../../../connectors/types.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { defaultMapping } from '../../../src/mapping/load.ts';

// The Salesforce connector's change poll and read by id (real time), with the real jsforce
// against the sandbox CRM: no nock here.
let sb: Sandbox;
let sf: SalesforceConnector;
let token: { access_token: string; instance_url: string };

beforeAll(async () => {
  sb = await startSandbox({ deals: 60, seed: 5, taskCompletionDays: null });
  token = sb.salesforce.issueTokens();
  let creds: Credentials = {
    accessToken: token.access_token,
    instanceUrl: token.instance_url,
    authBaseUrl: sb.salesforce.loginUrl,
    accountId: sb.salesforce.orgId,
  };
  const store: CredentialStore = {
    load: async () => ({ ...creds }),
    save: async (c) => {
      creds = { ...c };
    },
    markNeedsReauth: async () => undefined,
  };
  sf = await createSalesforceConnector({
    tenantId: 't-poll',
    mapping: defaultMapping('salesforce'),
    credentials: store,
    clientId: sb.salesforce.clientId,
    clientSecret: sb.salesforce.clientSecret,
    loginUrl: sb.salesforce.loginUrl,
  });
}, 60_000);
afterAll(async () => sb?.close());

const open = () =>
  sb.state.salesforce
    .opportunities()
    .filter((o) => o.IsClosed === false)
    .map((o) => String(o.Id));

async function edit(id: string, fields: Record<string, unknown>): Promise<void> {
  const r = await fetch(`${token.instance_url}/services/data/v66.0/sobjects/Opportunity/${id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify(fields),
  });
  expect(r.status).toBe(204);
}

describe('Salesforce change poll', () => {
  it('starts after the latest change, then names each changed opportunity once, same-second changes included', async () => {
    const [a, b, c] = open();
    let poll = await sf.changedSince!(null, 10);
    expect(poll).toMatchObject({ ids: [], more: false });
    // Nothing changed since: nothing named.
    poll = await sf.changedSince!(poll.mark, 10);
    expect(poll.ids).toEqual([]);

    sb.clock.advance({ seconds: 1 });
    await edit(a!, { NextStep: 'Call back' });
    await edit(b!, { NextStep: 'Send the quote' });
    poll = await sf.changedSince!(poll.mark, 10);
    expect(poll.ids.sort()).toEqual([a, b].sort());
    // Asked again: the two already named are not named again...
    const again = await sf.changedSince!(poll.mark, 10);
    expect(again.ids).toEqual([]);
    // ...but a third changed in that same second is.
    await edit(c!, { NextStep: 'Book the demo' });
    expect((await sf.changedSince!(again.mark, 10)).ids).toEqual([c]);
  });

  it('names a deleted opportunity too (queryAll), and reads it back by id as deleted', async () => {
    const [, , , d] = open();
    const start = await sf.changedSince!(null, 10);
    sb.clock.advance({ seconds: 1 });
    const r = await fetch(`${token.instance_url}/services/data/v66.0/sobjects/Opportunity/${d}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(r.status).toBe(204);
    const poll = await sf.changedSince!(start.mark, 10);
    expect(poll.ids).toEqual([d]);
    const page = await sf.fetchByIds!([d!, '006000000000000AAA']);
    expect(page.records).toEqual([]);
    expect(page.deletedIds.sort()).toEqual([d, '006000000000000AAA'].sort());
  });

  it('leaves a mass update to the regular sync: more than the limit names none and moves past them', async () => {
    const ids = open().slice(5, 10);
    const start = await sf.changedSince!(null, 3);
    sb.clock.advance({ seconds: 1 });
    for (const id of ids) await edit(id, { NextStep: 'Mass update' });
    const poll = await sf.changedSince!(start.mark, 3);
    expect(poll).toMatchObject({ ids: [], more: true });
    expect((await sf.changedSince!(poll.mark, 3)).ids).toEqual([]);
  });

  it('reads named opportunities by id with their history, as a change page has them', async () => {
    const ids = open().slice(0, 3);
    const page = await sf.fetchByIds!(ids);
    expect(page.cursor).toBeNull();
    expect(page.deletedIds).toEqual([]);
    expect(page.records.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const r of page.records) expect(r.data._derived).toMatchObject({ stageHistory: expect.any(Array) });
  });
});
