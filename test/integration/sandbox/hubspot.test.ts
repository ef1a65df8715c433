import { Client } from '@hubspot/api-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../../sandbox/index.ts';

let sb: Sandbox | undefined;

async function open(opts: SandboxOptions = {}) {
  sb = await startSandbox({ deals: 200, ...opts });
  const tokens = sb.hubspot.issueTokens();
  return { sb, tokens, hs: new Client({ accessToken: tokens.access_token, basePath: sb.hubspot.apiBase }) };
}

afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

const post = (url: string, token: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('sandbox HubSpot through the real @hubspot/api-client', () => {
  it('installs through the consent page, exchanges the code at /oauth/2026-03/token and refreshes 30-minute tokens', async () => {
    sb = await startSandbox({ deals: 20 });
    const { apiBase, clientId, clientSecret } = sb.hubspot;
    const install = `${apiBase}/oauth/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: 'http://localhost/hs-cb', scope: 'crm.objects.deals.read crm.objects.deals.write', state: 'st' })}`;
    const html = await (await fetch(install)).text();
    const fields = Object.fromEntries([...html.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]!]));
    const consent = await fetch(`${apiBase}/oauth/authorize`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ ...fields, decision: 'allow' }),
    });
    const back = new URL(consent.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('st');
    const tokenRes = await fetch(`${apiBase}/oauth/2026-03/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uri: 'http://localhost/hs-cb',
        code: back.searchParams.get('code')!,
      }),
    });
    const tokens = (await tokenRes.json()) as {
      access_token: string;
      refresh_token: string;
      expires_in: number;
      hub_id: number;
      scopes: string[];
    };
    expect(tokens).toMatchObject({
      expires_in: 1800,
      hub_id: sb.hubspot.portalId,
      scopes: ['crm.objects.deals.read', 'crm.objects.deals.write'],
    });
    const hs = new Client({ accessToken: tokens.access_token, basePath: apiBase });
    expect((await hs.crm.deals.basicApi.getPage(3)).results).toHaveLength(3);
    // The SDK's own refresh goes to /oauth/v1/token; HubSpot refresh tokens do not rotate.
    const refreshed = await hs.oauth.tokensApi.create('refresh_token', undefined, undefined, clientId, clientSecret, tokens.refresh_token);
    expect(refreshed.expiresIn).toBe(1800);
    expect(refreshed.refreshToken).toBe(tokens.refresh_token);
    await expect(
      hs.oauth.tokensApi.create('refresh_token', undefined, undefined, clientId, clientSecret, 'na1-unknown'),
    ).rejects.toMatchObject({
      code: 400,
      body: { status: 'BAD_REFRESH_TOKEN', error: 'invalid_grant' },
    });
  });

  it('expires an access token 30 minutes after it was issued, by the token clock', async () => {
    const { sb, hs } = await open({ deals: 10, tokenClock: 'sandbox' });
    await hs.crm.deals.basicApi.getPage(1);
    sb.clock.advance({ minutes: 31 });
    await expect(hs.crm.deals.basicApi.getPage(1)).rejects.toMatchObject({ code: 401, body: { category: 'EXPIRED_AUTHENTICATION' } });
  });

  it('pages a search 200 at a time and answers 400 when paging past the result cap', async () => {
    const { hs } = await open({ deals: 1200, hubspot: { searchCap: 500, searchPerSecond: 100 } });
    const request = (after: string) => ({
      filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: '0' }] }],
      sorts: ['hs_object_id'],
      properties: ['dealname', 'hs_lastmodifieddate'],
      limit: 200,
      after,
    });
    const first = await hs.crm.deals.searchApi.doSearch(request('0') as never);
    expect(first.total).toBeGreaterThan(500);
    expect(first.results).toHaveLength(200);
    expect(first.paging?.next?.after).toBe('200');
    const second = await hs.crm.deals.searchApi.doSearch(request('200') as never);
    expect(Number(second.results[0]!.id)).toBeGreaterThan(Number(first.results[199]!.id));
    await expect(hs.crm.deals.searchApi.doSearch(request('400') as never)).rejects.toMatchObject({
      code: 400,
      body: { category: 'VALIDATION_ERROR' },
    });
    // Keyset on hs_object_id restarts the offset and reaches past the cap.
    const lastId = second.results[199]!.id;
    const keyset = await hs.crm.deals.searchApi.doSearch({
      ...request('0'),
      filterGroups: [{ filters: [{ propertyName: 'hs_object_id', operator: 'GT', value: lastId }] }],
    } as never);
    expect(Number(keyset.results[0]!.id)).toBeGreaterThan(Number(lastId));
  });

  it('answers the sixth search within a second with a 429, Retry-After and no rate-limit headers', async () => {
    const { sb, tokens } = await open({ deals: 20 });
    const url = `${sb.hubspot.apiBase}/crm/v3/objects/deals/search`;
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(url, tokens.access_token, { limit: 1 })));
    const limited = answers.filter((r) => r.status === 429);
    expect(limited).toHaveLength(1);
    expect(await limited[0]!.json()).toMatchObject({ errorType: 'RATE_LIMIT', policyName: 'SECONDLY' });
    expect(limited[0]!.headers.get('retry-after')).toBe('1');
    expect(answers.every((r) => r.headers.get('x-hubspot-ratelimit-max') === null)).toBe(true);
  });

  it('counts requests in X-HubSpot-RateLimit headers and answers TEN_SECONDLY_ROLLING, with Retry-After, past the burst budget', async () => {
    const { sb, tokens, hs } = await open({ deals: 20, hubspot: { burstLimit: 3 } });
    const res = await fetch(`${sb.hubspot.apiBase}/crm/v3/objects/deals?limit=1`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(res.headers.get('x-hubspot-ratelimit-max')).toBe('3');
    expect(res.headers.get('x-hubspot-ratelimit-remaining')).toBe('2');
    expect(res.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
    await hs.crm.deals.basicApi.getPage(1);
    await hs.crm.deals.basicApi.getPage(1);
    const limited = await fetch(`${sb.hubspot.apiBase}/crm/v3/objects/deals?limit=1`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ policyName: 'TEN_SECONDLY_ROLLING', errorType: 'RATE_LIMIT' });
    // Whole seconds until the first of the three leaves the 10 s window.
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(9);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(10);
  });

  it('answers an injected DAILY limit with a 429 the SDK does not retry', async () => {
    const { sb, hs } = await open({ deals: 5 });
    sb.faults.add({ on: 'GET hs objects/deals', policy: 'DAILY', times: 1 });
    const client = new Client({
      accessToken: sb.hubspot.issueTokens().access_token,
      basePath: sb.hubspot.apiBase,
      numberOfApiCallRetries: 3,
    });
    await expect(client.crm.deals.basicApi.getPage(1)).rejects.toMatchObject({ code: 429, body: { policyName: 'DAILY' } });
    expect((await hs.crm.deals.basicApi.getPage(1)).results).toHaveLength(1);
  });

  it('answers a v3 batch update with 207 and per-deal errors, the 2026-09 version with 200, and writes the valid deals', async () => {
    const { sb, hs, tokens } = await open({ deals: 20, hubspot: { riskProperties: 'ready' } });
    const deals = (await hs.crm.deals.basicApi.getPage(3)).results;
    const [a, b, c] = deals;
    const res = (await hs.crm.deals.batchApi.update({
      inputs: [
        { id: a!.id, properties: { risk_score: '72', risk_category: 'High' } },
        { id: b!.id, properties: { risk_category: 'Severe' } },
        { id: '40999999999', properties: { risk_score: '10' } },
      ],
    })) as unknown as {
      results: Array<{ id: string }>;
      numErrors: number;
      errors: Array<{ category: string; context: { ids: string[] } }>;
    };
    expect(res.results.map((r) => r.id)).toEqual([a!.id]);
    expect(res.numErrors).toBe(2);
    expect(res.errors.map((e) => [e.category, e.context.ids])).toEqual([
      ['VALIDATION_ERROR', [b!.id]],
      ['OBJECT_NOT_FOUND', ['40999999999']],
    ]);
    expect(sb.state.hubspot.deal(a!.id)!.properties).toMatchObject({ risk_score: '72', risk_category: 'High' });
    const dated = await post(`${sb.hubspot.apiBase}/crm/objects/2026-09/deals/batch/update`, tokens.access_token, {
      inputs: [{ id: c!.id, properties: { risk_category: 'Nope' } }],
    });
    expect(dated.status).toBe(200);
    expect(await dated.json()).toMatchObject({ status: 'COMPLETE', results: [], numErrors: 1 });
  });

  it('bumps hs_lastmodifieddate when we write a risk property, like HubSpot does', async () => {
    const { sb, hs } = await open({ deals: 10, hubspot: { riskProperties: 'ready' } });
    const deal = (await hs.crm.deals.basicApi.getPage(1, undefined, ['hs_lastmodifieddate'])).results[0]!;
    sb.clock.advance({ minutes: 1 });
    await hs.crm.deals.basicApi.update(deal.id, { properties: { risk_score: '55' } });
    const after = await hs.crm.deals.basicApi.getById(deal.id, ['hs_lastmodifieddate', 'risk_score']);
    expect(after.properties.risk_score).toBe('55');
    expect(Date.parse(after.properties.hs_lastmodifieddate!)).toBeGreaterThan(Date.parse(deal.properties.hs_lastmodifieddate!));
  });

  it('creates a task associated to its deal (type 216), reachable through the deal at once and through search only after the index lag', async () => {
    const { sb, hs } = await open({ deals: 10, hubspot: { riskProperties: 'ready', searchLagMs: 10_000 } });
    const deal = (await hs.crm.deals.basicApi.getPage(1)).results[0]!;
    const task = await hs.crm.objects.tasks.basicApi.create({
      properties: {
        hs_task_subject: 'Call the economic buyer',
        hs_timestamp: '2026-12-01T09:00:00Z',
        hs_task_priority: 'HIGH',
        hs_task_body: 'Why: no reply in 3 weeks',
      },
      associations: [{ to: { id: deal.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 216 }] }],
    });
    expect(task.properties).toMatchObject({ hs_task_status: 'NOT_STARTED', hs_task_priority: 'HIGH' });
    const links = await hs.crm.associations.v4.basicApi.getPage('tasks', task.id, 'deals');
    expect(links.results).toEqual([
      expect.objectContaining({ toObjectId: Number(deal.id), associationTypes: [expect.objectContaining({ typeId: 216 })] }),
    ]);
    const fromDeal = await hs.crm.associations.v4.batchApi.getPage('deals', 'tasks', { inputs: [{ id: deal.id }] });
    expect(fromDeal.results.flatMap((r) => r.to.map((t) => String(t.toObjectId)))).toEqual([task.id]);
    const bySubject = () =>
      hs.crm.objects.tasks.searchApi.doSearch({
        filterGroups: [{ filters: [{ propertyName: 'hs_task_subject', operator: 'EQ' as never, value: 'Call the economic buyer' }] }],
        properties: ['hs_task_status'],
        limit: 10,
        after: '0',
        sorts: [],
      } as never);
    expect((await bySubject()).results).toEqual([]);
    sb.clock.advance({ seconds: 10 });
    expect((await bySubject()).results.map((t) => t.id)).toEqual([task.id]);
    await expect(hs.crm.objects.tasks.basicApi.create({ properties: { hs_task_subject: 'No date' } })).rejects.toMatchObject({
      code: 400,
      body: { category: 'VALIDATION_ERROR' },
    });
  });

  it('reuses existing properties and groups: creating them again answers 409', async () => {
    const { hs } = await open({ deals: 5 });
    await hs.crm.properties.groupsApi.create('deals', { name: 'deal_risk', label: 'Deal Risk', displayOrder: -1 });
    const spec = { name: 'risk_score', label: 'Risk score', type: 'number' as never, fieldType: 'number' as never, groupName: 'deal_risk' };
    await hs.crm.properties.coreApi.create('deals', spec);
    await expect(hs.crm.properties.coreApi.create('deals', spec)).rejects.toMatchObject({ code: 409 });
    await expect(hs.crm.properties.groupsApi.create('deals', { name: 'deal_risk', label: 'Deal Risk' })).rejects.toMatchObject({
      code: 409,
    });
    await expect(
      hs.crm.properties.coreApi.create('deals', { ...spec, name: 'risk_bad', fieldType: 'select' as never }),
    ).rejects.toMatchObject({ code: 400 });
  });

  it('serves pipelines with closed/probability metadata as strings, and stage history newest first', async () => {
    const { sb, hs } = await open({ deals: 200 });
    const stages = (await hs.crm.pipelines.pipelinesApi.getAll('deals')).results[0]!.stages;
    expect(stages.find((s) => s.id === 'closedwon')!.metadata).toEqual({ isClosed: 'true', probability: '1.0' });
    const closedLost = sb.state.hubspot.deals().find((d) => d.properties.dealstage === 'closedlost')!;
    const withHistory = await hs.crm.deals.basicApi.getById(closedLost.id, ['dealstage'], ['dealstage', 'closedate']);
    const history = withHistory.propertiesWithHistory!.dealstage!;
    expect(history[0]!.value).toBe('closedlost');
    expect(history.at(-1)!.value).toBe('appointmentscheduled');
    expect(history.map((h) => h.timestamp.getTime())).toEqual([...history.map((h) => h.timestamp.getTime())].sort((x, y) => y - x));
  });

  it("pages the deals list 100 at a time through the SDK's getAll, each deal once", async () => {
    const { sb, hs } = await open({ deals: 450 });
    const all = await hs.crm.deals.getAll(100, undefined, ['dealname']);
    expect(all.length).toBe(sb.state.hubspot.deals().length);
    expect(new Set(all.map((d) => d.id)).size).toBe(all.length);
    expect(sb.state.calls.filter((c) => c.path === '/crm/v3/objects/deals').length).toBe(Math.ceil(all.length / 100));
  });

  it('lists a deleted deal under archived=true only', async () => {
    const { hs } = await open({ deals: 10 });
    const deal = (await hs.crm.deals.basicApi.getPage(1)).results[0]!;
    await hs.crm.deals.basicApi.archive(deal.id);
    const live = await hs.crm.deals.basicApi.getPage(100);
    const archived = await hs.crm.deals.basicApi.getPage(100, undefined, undefined, undefined, undefined, true);
    expect(live.results.map((d) => d.id)).not.toContain(deal.id);
    expect(archived.results.map((d) => d.id)).toContain(deal.id);
  });
});

describe('sandbox HubSpot scopes, uninstall and associations', () => {
  const install = async (scope: string) => {
    const { apiBase, clientId } = sb!.hubspot;
    return fetch(
      `${apiBase}/oauth/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: 'http://localhost/hs-cb', scope, state: 'st' })}`,
    );
  };

  it('grants exactly the scopes the install URL asked for, and refuses an install asking for a scope HubSpot does not offer', async () => {
    sb = await startSandbox({ deals: 5 });
    const page = await install('oauth crm.objects.deals.read');
    expect(page.status).toBe(200);
    const fields = Object.fromEntries([...(await page.text()).matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]!]));
    const consent = await fetch(`${sb.hubspot.apiBase}/oauth/authorize`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ ...fields, decision: 'allow' }),
    });
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
    const tokens = (await (
      await fetch(`${sb.hubspot.apiBase}/oauth/2026-03/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: sb.hubspot.clientId,
          client_secret: sb.hubspot.clientSecret,
          redirect_uri: 'http://localhost/hs-cb',
          code,
        }),
      })
    ).json()) as { access_token: string; scopes: string[] };
    expect(tokens.scopes).toEqual(['oauth', 'crm.objects.deals.read']);
    const hs = new Client({ accessToken: tokens.access_token, basePath: sb.hubspot.apiBase });
    expect((await hs.crm.deals.basicApi.getPage(1)).results).toHaveLength(1);
    await expect(hs.crm.deals.batchApi.update({ inputs: [] })).rejects.toMatchObject({ code: 403, body: { category: 'MISSING_SCOPES' } });
    // No HubSpot spec names a task-property write scope: an install cannot ask for one.
    expect((await install('oauth crm.schemas.tasks.write')).status).toBe(400);
  });

  it("refuses a call without its scope with HubSpot's 403 MISSING_SCOPES body, naming the scope", async () => {
    sb = await startSandbox({ deals: 5 });
    const tokens = sb.hubspot.issueTokens(['crm.objects.deals.read']);
    const res = await post(`${sb.hubspot.apiBase}/crm/v3/objects/tasks/batch/create`, tokens.access_token, { inputs: [] });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      status: 'error',
      message:
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
      correlationId: expect.any(String),
      errors: [
        {
          message: 'One or more of the following scopes are required.',
          context: { requiredGranularScopes: ['crm.objects.contacts.write'] },
        },
      ],
      links: { scopes: 'https://developers.hubspot.com/scopes' },
      category: 'MISSING_SCOPES',
    });
  });

  it('lets no token create a task property, whatever contacts or schema scopes it holds', async () => {
    sb = await startSandbox({ deals: 5 });
    const tokens = sb.hubspot.issueTokens(['crm.objects.contacts.write', 'crm.schemas.contacts.write', 'crm.schemas.deals.write']);
    const spec = {
      name: 'risk_task_key',
      label: 'Risk task key',
      type: 'string',
      fieldType: 'text',
      groupName: 'task',
      hasUniqueValue: true,
    };
    const tasks = await post(`${sb.hubspot.apiBase}/crm/v3/properties/tasks`, tokens.access_token, spec);
    expect(tasks.status).toBe(403);
    expect(await tasks.json()).toMatchObject({ category: 'MISSING_SCOPES', errors: [{ context: { requiredGranularScopes: [] } }] });
    // The same token may create a deal property: the deals schema scope is the one asked for.
    const deals = await post(`${sb.hubspot.apiBase}/crm/v3/properties/deals`, tokens.access_token, {
      ...spec,
      name: 'risk_note',
      groupName: 'dealinformation',
      hasUniqueValue: false,
    });
    expect(deals.status).toBe(201);
  });

  it('uninstalls the app on DELETE /appinstalls/2026-03/external-install: 204, then its tokens are dead', async () => {
    sb = await startSandbox({ deals: 5 });
    const tokens = sb.hubspot.issueTokens(['oauth', 'crm.objects.deals.read']);
    const bare = sb.hubspot.issueTokens(['crm.objects.deals.read']);
    const url = `${sb.hubspot.apiBase}/appinstalls/2026-03/external-install`;
    expect((await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${bare.access_token}` } })).status).toBe(403);
    expect((await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(204);
    const after = await fetch(`${sb.hubspot.apiBase}/crm/v3/objects/deals?limit=1`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(after.status).toBe(401);
    const refresh = await fetch(`${sb.hubspot.apiBase}/oauth/2026-03/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: sb.hubspot.clientId,
        client_secret: sb.hubspot.clientSecret,
        refresh_token: tokens.refresh_token,
      }),
    });
    expect(await refresh.json()).toMatchObject({ status: 'BAD_REFRESH_TOKEN', error: 'invalid_grant' });
  });

  it('pages a v4 association batch read per object and refuses more than 100 ids', async () => {
    sb = await startSandbox({ deals: 5, hubspot: { associationPageSize: 2 } });
    const tokens = sb.hubspot.issueTokens();
    const hs = new Client({ accessToken: tokens.access_token, basePath: sb.hubspot.apiBase });
    const deal = (await hs.crm.deals.basicApi.getPage(1)).results[0]!;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t = await hs.crm.objects.tasks.basicApi.create({
        properties: { hs_task_subject: `t${i}`, hs_timestamp: '2026-12-01T09:00:00Z' },
        associations: [{ to: { id: deal.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 216 }] }],
      });
      made.push(t.id);
    }
    const seen: string[] = [];
    let after: string | undefined;
    let calls = 0;
    do {
      const r = await hs.crm.associations.v4.batchApi.getPage('deals', 'tasks', { inputs: [{ id: deal.id, ...(after ? { after } : {}) }] });
      calls++;
      seen.push(...r.results.flatMap((x) => x.to.map((t) => String(t.toObjectId))));
      after = r.results[0]?.paging?.next?.after;
    } while (after);
    expect(seen).toEqual(made);
    expect(calls).toBe(3);
    const tooMany = await post(`${sb.hubspot.apiBase}/crm/v4/associations/deals/tasks/batch/read`, tokens.access_token, {
      inputs: Array.from({ length: 101 }, (_, i) => ({ id: String(i) })),
    });
    expect(tooMany.status).toBe(400);
  });
});
