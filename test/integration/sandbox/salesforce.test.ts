import jsforce from 'jsforce';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../../sandbox/index.ts';

const VERSION = '66.0';
let sb: Sandbox | undefined;

async function open(opts: SandboxOptions = {}) {
  sb = await startSandbox({ deals: 300, ...opts });
  const t = sb.salesforce.issueTokens();
  const conn = new jsforce.Connection({
    oauth2: {
      clientId: sb.salesforce.clientId,
      clientSecret: sb.salesforce.clientSecret,
      loginUrl: sb.salesforce.loginUrl,
      redirectUri: 'http://localhost/cb',
    },
    instanceUrl: t.instance_url,
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    version: VERSION,
  });
  return { sb, conn, tokens: t };
}

afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

describe('sandbox Salesforce through the real jsforce', () => {
  it('installs through the consent page with PKCE and gives jsforce a working instance URL', async () => {
    sb = await startSandbox({ deals: 50 });
    const oauth2 = new jsforce.OAuth2({
      clientId: sb.salesforce.clientId,
      clientSecret: sb.salesforce.clientSecret,
      loginUrl: sb.salesforce.loginUrl,
      redirectUri: 'http://localhost:3000/cb',
      useVerifier: true,
    });
    const page = await fetch(oauth2.getAuthorizationUrl({ scope: 'api refresh_token', state: 's-123' }));
    const html = await page.text();
    expect(html).toContain('Allow');
    const fields = Object.fromEntries(
      [...html.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]!.replace(/&amp;/g, '&')]),
    );
    const consent = await fetch(`${sb.salesforce.loginUrl}/services/oauth2/authorize`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ ...fields, decision: 'allow' }),
    });
    const back = new URL(consent.headers.get('location')!);
    expect(back.origin + back.pathname).toBe('http://localhost:3000/cb');
    expect(back.searchParams.get('state')).toBe('s-123');
    const conn = new jsforce.Connection({ oauth2, version: VERSION });
    const user = await conn.authorize(back.searchParams.get('code')!);
    expect(user.organizationId).toBe(sb.salesforce.orgId);
    expect(conn.instanceUrl).toBe(sb.salesforce.instanceUrl);
    expect((await conn.query('SELECT COUNT() FROM Opportunity')).totalSize).toBeGreaterThan(0);
  });

  it('refuses a token exchange whose PKCE verifier does not match the challenge', async () => {
    sb = await startSandbox({ deals: 10 });
    const base = sb.salesforce.loginUrl;
    const auth = await fetch(`${base}/services/oauth2/authorize`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({
        client_id: sb.salesforce.clientId,
        redirect_uri: 'http://localhost/cb',
        response_type: 'code',
        code_challenge: 'A'.repeat(43),
        code_challenge_method: 'S256',
        decision: 'allow',
      }),
    });
    const code = new URL(auth.headers.get('location')!).searchParams.get('code')!;
    const res = await fetch(`${base}/services/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        client_id: sb.salesforce.clientId,
        client_secret: sb.salesforce.clientSecret,
        redirect_uri: 'http://localhost/cb',
        code_verifier: 'wrong',
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'invalid code verifier' });
  });

  it('pages a large query through nextRecordsUrl, at most 2,000 rows a page', async () => {
    const { conn, sb } = await open({ deals: 4500 });
    const res = await conn
      .query('SELECT Id, Name, Account.Industry, Owner.Name, SystemModstamp FROM Opportunity ORDER BY SystemModstamp, Id')
      .run({ autoFetch: true, maxFetch: 100_000 });
    expect(res.records.length).toBe(res.totalSize);
    expect(new Set(res.records.map((r) => r.Id)).size).toBe(res.totalSize);
    const pages = sb.state.calls.filter((c) => c.crm === 'sf' && c.path.includes('/query'));
    expect(pages.length).toBe(Math.ceil(res.totalSize / 2000));
    expect(pages.slice(1).every((c) => /\/query\/[A-Za-z0-9]+-\d+$/.test(c.path))).toBe(true);
    const first = res.records[0] as { Account: { Industry: string }; Owner: { Name: string }; SystemModstamp: string };
    expect(first.Account.Industry).toEqual(expect.any(String));
    expect(first.SystemModstamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$/);
  });

  it('shows new changes to an incremental SystemModstamp query after the clock moves', async () => {
    const { conn, sb } = await open({ deals: 400 });
    const before = await conn.query<{ SystemModstamp: string }>(
      'SELECT Id, SystemModstamp FROM Opportunity ORDER BY SystemModstamp DESC LIMIT 1',
    );
    const cursor = before.records[0]!.SystemModstamp;
    const none = await conn.query(`SELECT Id FROM Opportunity WHERE SystemModstamp > ${cursor}`);
    expect(none.totalSize).toBe(0);
    sb.clock.advance({ days: 2 });
    const changed = await conn.query<{ SystemModstamp: string; IsClosed: boolean; CreatedDate: string }>(
      `SELECT Id, SystemModstamp, IsClosed, CreatedDate FROM Opportunity WHERE SystemModstamp > ${cursor} ORDER BY SystemModstamp`,
    );
    expect(changed.totalSize).toBeGreaterThan(0);
    expect(
      changed.records.every((r) => Date.parse(r.SystemModstamp.replace('+0000', 'Z')) > Date.parse(cursor.replace('+0000', 'Z'))),
    ).toBe(true);
    // Deals were created in the two days as well.
    expect(changed.records.some((r) => Date.parse(r.CreatedDate.replace('+0000', 'Z')) > Date.parse(cursor.replace('+0000', 'Z')))).toBe(
      true,
    );
  });

  it('keeps custom fields created through the Metadata API invisible until a permission set grants them', async () => {
    const { conn } = await open({ deals: 20 });
    const [saved] = (await conn.metadata.create('CustomField', [
      { fullName: 'Opportunity.Risk_Score__c', label: 'Risk Score', type: 'Number', precision: 3, scale: 0 } as never,
    ])) as unknown as Array<{ success: boolean }>;
    expect(saved!.success).toBe(true);
    await expect(conn.query('SELECT Id, Risk_Score__c FROM Opportunity LIMIT 1')).rejects.toMatchObject({ errorCode: 'INVALID_FIELD' });
    await conn.metadata.create('PermissionSet', {
      fullName: 'DealRisk_Integration',
      label: 'DealRisk Integration',
      fieldPermissions: [{ field: 'Opportunity.Risk_Score__c', readable: true, editable: true }],
    } as never);
    const ps = await conn.query<{ Id: string }>("SELECT Id FROM PermissionSet WHERE Name = 'DealRisk_Integration'");
    await conn.sobject('PermissionSetAssignment').create({ PermissionSetId: ps.records[0]!.Id, AssigneeId: sb!.salesforce.userId });
    const opp = await conn.query<{ Id: string; Risk_Score__c: number | null }>('SELECT Id, Risk_Score__c FROM Opportunity LIMIT 1');
    expect(opp.records[0]!.Risk_Score__c).toBeNull();
    const again = (await conn.metadata.create('CustomField', [
      { fullName: 'Opportunity.Risk_Score__c', label: 'Risk Score', type: 'Number', precision: 3, scale: 0 } as never,
    ])) as unknown as Array<{ success: boolean; errors: Array<{ statusCode: string }> }>;
    expect(again[0]!.success).toBe(false);
    expect(again[0]!.errors[0]!.statusCode).toBe('DUPLICATE_DEVELOPER_NAME');
  });

  it('answers a collection update with one result per record, in order, rejecting only the refused one', async () => {
    const { conn, sb } = await open({ deals: 50, salesforce: { riskFields: 'ready' } });
    const opps = await conn.query<{ Id: string; SystemModstamp: string }>(
      'SELECT Id, SystemModstamp FROM Opportunity WHERE IsClosed = false LIMIT 3',
    );
    const [a, b, c] = opps.records;
    sb.faults.add({
      on: 'PATCH composite/sobjects',
      rejectRecords: {
        ids: [b!.Id],
        statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
        message: 'Scores are locked',
        fields: ['Risk_Score__c'],
      },
      times: 1,
    });
    sb.clock.advance({ minutes: 5 });
    const results = await conn
      .sobject('Opportunity')
      .update([a, b, c].map((o, i) => ({ Id: o!.Id, Risk_Score__c: 70 + i, Risk_Category__c: 'High' })));
    expect(results.map((r) => r.success)).toEqual([true, false, true]);
    expect(results[1]).toMatchObject({
      success: false,
      errors: [{ statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'Scores are locked', fields: ['Risk_Score__c'] }],
    });
    const written = sb.state.salesforce.opportunity(a!.Id)!;
    expect(written.Risk_Score__c).toBe(70);
    // Our own write bumps SystemModstamp, like the real org (the next sync sees an echo).
    expect(String(written.SystemModstamp) > a!.SystemModstamp).toBe(true);
    const bad = await conn.sobject('Opportunity').update([{ Id: a!.Id, Risk_Category__c: 'Severe' }]);
    expect(bad[0]).toMatchObject({ success: false, errors: [{ statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST' }] });
  });

  it("refuses dates outside 1700-4000 and numbers past a field's precision, as Salesforce does", async () => {
    // Found by the fuzz suite: a CloseDate of 0097-06-15 was kept as 1997-06-15, one of 0006-06-15
    // was served back as "6-06-15", and an Amount of 1e308 was taken and served back as null.
    const { conn, sb } = await open({ deals: 20 });
    const [opp] = (
      await conn.query<{ Id: string; CloseDate: string; Amount: number }>('SELECT Id, CloseDate, Amount FROM Opportunity LIMIT 1')
    ).records;
    const update = async (fields: Record<string, unknown>) => (await conn.sobject('Opportunity').update([{ Id: opp!.Id, ...fields }]))[0]!;
    for (const CloseDate of ['0097-06-15', '0006-06-15', '1699-12-31', '4001-01-01', '9999-12-31']) {
      expect(await update({ CloseDate }), CloseDate).toMatchObject({ success: false, errors: [{ statusCode: 'JSON_PARSER_ERROR' }] });
    }
    for (const Amount of [1e308, 1e21, 1e16, -1e16]) {
      expect(await update({ Amount }), String(Amount)).toMatchObject({
        success: false,
        errors: [{ statusCode: 'NUMBER_OUTSIDE_VALID_RANGE', fields: ['Amount'] }],
      });
    }
    expect(sb.state.salesforce.opportunity(opp!.Id)).toMatchObject({ CloseDate: opp!.CloseDate, Amount: opp!.Amount });
    // Amount is currency(18, 2): 16 digits before the point.
    expect(await update({ CloseDate: '1700-01-01', Amount: 1e16 - 2 })).toMatchObject({ success: true });
    expect(await update({ CloseDate: '4000-12-31', Amount: -(1e16 - 2) })).toMatchObject({ success: true });
    expect(sb.state.salesforce.opportunity(opp!.Id)).toMatchObject({ CloseDate: '4000-12-31', Amount: -(1e16 - 2) });
  });

  it('derives IsClosed and IsWon from the StageName of an opportunity created or moved through the API', async () => {
    // Found by the connector contract suite: opportunities created through the API had neither
    // flag. Salesforce sets both from the stage's OpportunityStage and never lets a caller set them.
    const { conn } = await open({ deals: 10 });
    const flags = async (id: string) =>
      (await conn.query<{ IsClosed: boolean; IsWon: boolean }>(`SELECT IsClosed, IsWon FROM Opportunity WHERE Id = '${id}'`)).records[0];
    const base = { CloseDate: '2027-03-31', Amount: 25000 };
    const open1 = await conn.sobject('Opportunity').create({ ...base, Name: 'Open one', StageName: 'Prospecting' });
    const won = await conn.sobject('Opportunity').create({ ...base, Name: 'Won one', StageName: 'Closed Won' });
    const lost = await conn.sobject('Opportunity').create({ ...base, Name: 'Lost one', StageName: 'Closed Lost' });
    expect(await flags(open1.id!)).toMatchObject({ IsClosed: false, IsWon: false });
    expect(await flags(won.id!)).toMatchObject({ IsClosed: true, IsWon: true });
    expect(await flags(lost.id!)).toMatchObject({ IsClosed: true, IsWon: false });
    expect(await conn.sobject('Opportunity').update({ Id: open1.id!, StageName: 'Closed Won' })).toMatchObject({ success: true });
    expect(await flags(open1.id!)).toMatchObject({ IsClosed: true, IsWon: true });
    await expect(conn.sobject('Opportunity').update({ Id: lost.id!, IsWon: true } as never)).rejects.toMatchObject({
      errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
    });
    expect(await flags(lost.id!)).toMatchObject({ IsClosed: true, IsWon: false });
  });

  it('refreshes an expired session and, with rotation on, treats a replayed refresh token as theft', async () => {
    const { conn, sb, tokens } = await open({ deals: 20, rotateRefreshTokens: true });
    const refreshed: Array<{ refresh_token?: string }> = [];
    conn.on('refresh', (_at: string, res: { refresh_token?: string }) => refreshed.push(res));
    sb.tokens.expireAll('salesforce');
    expect((await conn.query('SELECT COUNT() FROM Opportunity')).totalSize).toBe(20);
    expect(refreshed).toHaveLength(1);
    expect(refreshed[0]!.refresh_token).toBeTruthy();
    expect(refreshed[0]!.refresh_token).not.toBe(tokens.refresh_token);
    const oauth2 = new jsforce.OAuth2({
      clientId: sb.salesforce.clientId,
      clientSecret: sb.salesforce.clientSecret,
      loginUrl: sb.salesforce.loginUrl,
    });
    await expect(oauth2.refreshToken(tokens.refresh_token!)).rejects.toMatchObject({
      name: 'invalid_grant',
      message: 'expired access/refresh token',
    });
    // The whole token family is revoked: the newest access token is dead too.
    const res = await fetch(`${sb.salesforce.instanceUrl}/services/data/v${VERSION}/limits`, {
      headers: { authorization: `Bearer ${conn.accessToken}` },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
  });

  it('reports usage in Sforce-Limit-Info and answers 403 REQUEST_LIMIT_EXCEEDED past the daily limit', async () => {
    const { conn } = await open({ deals: 5, salesforce: { dailyApiLimit: 3 } });
    await conn.query('SELECT Id FROM Opportunity');
    expect(conn.limitInfo.apiUsage).toEqual({ used: 1, limit: 3 });
    await conn.query('SELECT Id FROM Opportunity');
    await conn.query('SELECT Id FROM Opportunity');
    await expect(conn.query('SELECT Id FROM Opportunity')).rejects.toMatchObject({
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
      message: 'TotalRequests Limit exceeded.',
    });
  });

  it('fails the first two collection writes with the injected 503, then lets the third through', async () => {
    const { conn, sb } = await open({ deals: 10, salesforce: { riskFields: 'ready' } });
    sb.faults.add({ on: 'PATCH composite/sobjects', status: 503, times: 2 });
    const id = (await conn.query<{ Id: string }>('SELECT Id FROM Opportunity LIMIT 1')).records[0]!.Id;
    const write = () => conn.sobject('Opportunity').update([{ Id: id, Risk_Score__c: 40 }]);
    await expect(write()).rejects.toMatchObject({ errorCode: 'SERVER_UNAVAILABLE' });
    await expect(write()).rejects.toMatchObject({ errorCode: 'SERVER_UNAVAILABLE' });
    expect((await write())[0]!.success).toBe(true);
  });

  it('drops the connection on an injected reset', async () => {
    const { sb, tokens } = await open({ deals: 5 });
    sb.faults.add({ on: 'GET sf query', reset: true, times: 1 });
    const url = `${sb.salesforce.instanceUrl}/services/data/v${VERSION}/query?q=${encodeURIComponent('SELECT Id FROM Opportunity')}`;
    await expect(fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } })).rejects.toThrow();
    expect((await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
  });

  it('runs a Bulk API 2.0 query job and pages its CSV results by Sforce-Locator', async () => {
    const { conn, sb, tokens } = await open({ deals: 1200 });
    const rows: Array<Record<string, string>> = [];
    for await (const r of await conn.bulk2.query('SELECT Id, Name, Account.Industry FROM Opportunity', {
      pollInterval: 20,
      pollTimeout: 5000,
    }))
      rows.push(r as Record<string, string>);
    const total = (await conn.query('SELECT COUNT() FROM Opportunity')).totalSize;
    expect(rows).toHaveLength(total);
    expect(rows[0]!['Account.Industry']).toEqual(expect.any(String));
    const job = (await (
      await fetch(`${sb.salesforce.instanceUrl}/services/data/v${VERSION}/jobs/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ operation: 'queryAll', query: 'SELECT Id FROM Opportunity' }),
      })
    ).json()) as { id: string };
    const page = await fetch(`${sb.salesforce.instanceUrl}/services/data/v${VERSION}/jobs/query/${job.id}/results?maxRecords=500`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(page.headers.get('sforce-numberofrecords')).toBe('500');
    expect(page.headers.get('sforce-locator')).not.toBe('null');
    expect((await page.text()).trim().split('\n')).toHaveLength(501);
  });

  it('creates follow-up tasks on an opportunity, and reps complete them as time passes', async () => {
    const { conn, sb } = await open({ deals: 30, taskCompletionDays: 1 });
    const opp = (await conn.query<{ Id: string }>('SELECT Id FROM Opportunity WHERE IsClosed = false LIMIT 1')).records[0]!;
    const created = await conn.sobject('Task').create({
      WhatId: opp.Id,
      Subject: 'Risk: call the economic buyer',
      ActivityDate: '2026-11-30',
      Priority: 'High',
      Status: 'Not Started',
    });
    expect(created.success).toBe(true);
    const open1 = await conn.query<{ Status: string }>(`SELECT Id, Status FROM Task WHERE WhatId = '${opp.Id}' AND Subject LIKE 'Risk:%'`);
    expect(open1.records.map((t) => t.Status)).toEqual(['Not Started']);
    sb.clock.advance({ days: 30 });
    const later = await conn.query<{ Status: string; IsClosed: boolean }>(
      `SELECT Id, Status, IsClosed FROM Task WHERE Id = '${created.id}'`,
    );
    expect(later.records[0]).toMatchObject({ Status: 'Completed', IsClosed: true });
  });

  it('lists updated and deleted opportunities for a window (getUpdated / getDeleted)', async () => {
    const { conn, sb } = await open({ deals: 400 });
    const start = sb.clock.now();
    sb.clock.advance({ days: 3 });
    const end = sb.clock.now();
    const updated = await conn.sobject('Opportunity').updated(start.toISOString(), end.toISOString());
    expect(updated.ids.length).toBeGreaterThan(0);
    const victim = updated.ids[0]!;
    await conn.sobject('Opportunity').destroy(victim);
    sb.clock.advance({ minutes: 2 });
    const deleted = await conn.sobject('Opportunity').deleted(start.toISOString(), sb.clock.now().toISOString());
    expect(deleted.deletedRecords.map((d) => d.id)).toContain(victim);
    const all = await conn.query(`SELECT Id, IsDeleted FROM Opportunity WHERE Id = '${victim}'`, { scanAll: true });
    expect(all.records[0]).toMatchObject({ IsDeleted: true });
  });
});
