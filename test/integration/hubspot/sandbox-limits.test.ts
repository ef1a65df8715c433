import { Client } from '@hubspot/api-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createHubSpotConnector, type HubSpotConnectorOptions } from '../../../connectors/hubspot/connector.ts';
import type { DealUpdate, FetchPage } from '../../../connectors/types.ts';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../../sandbox/index.ts';
import { collect, hubspotMapping, MemoryCredentials, TestClock } from './support/connector.ts';

/** The connector against sandbox behaviours HubSpot has and a consistent fake would not: Retry-After on 429s, a lagging search index. */
let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function open(opts: SandboxOptions, extra: Partial<HubSpotConnectorOptions> = {}) {
  sb = await startSandbox(opts);
  const t = sb.hubspot.issueTokens();
  const expiresAt = new Date((extra.now?.() ?? sb.clock.now()).getTime() + t.expires_in * 1000);
  const creds = new MemoryCredentials({
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt,
    accountId: String(t.hub_id),
    instanceUrl: sb.hubspot.apiBase,
    authBaseUrl: sb.hubspot.apiBase,
    scopes: t.scopes,
  });
  const s = sb;
  const make = (more: Partial<HubSpotConnectorOptions> = {}) =>
    createHubSpotConnector({
      tenantId: 't-limits',
      mapping: hubspotMapping(),
      credentials: creds,
      clientId: s.hubspot.clientId,
      clientSecret: s.hubspot.clientSecret,
      now: () => s.clock.now(),
      ...extra,
      ...more,
    });
  return { sb: s, make, token: t.access_token };
}

describe('HubSpot connector against the sandbox limits', () => {
  it('waits Retry-After on a HubSpot 429, then succeeds', async () => {
    const clock = new TestClock();
    // A 2.5 s window: the 429 asks for 3 whole seconds, the interval header would say 2.5.
    const { sb, make } = await open({ deals: 30, hubspot: { burstWindowMs: 2_500 } }, { now: clock.now, sleep: clock.sleep });
    sb.faults.add({ on: 'GET hs objects/deals', policy: 'TEN_SECONDLY_ROLLING', times: 1 });
    const c = make();
    const pages = await collect(c.fetchChanges({ cursor: null }));
    expect(pages.flatMap((p) => p.records)).toHaveLength(sb.state.hubspot.deals().length);
    const limited = sb.state.calls.filter((x) => x.status === 429);
    expect(limited).toHaveLength(1);
    expect(c.hubspotUsage()).toMatchObject({ rateLimited: 1, retries: 1 });
    expect(clock.sleeps).toContain(3_000);
    expect(clock.sleeps).not.toContain(2_500);
  });

  it('loses no deal edited just before a sync while the search index lags', async () => {
    const { sb, make, token } = await open({ deals: 80, seed: 31, hubspot: { searchLagMs: 30_000 } });
    const c = make();
    const cursor1 = (await collect(c.fetchChanges({ cursor: null }))).at(-1)!.cursor;
    // A closed deal: nothing else will move its hs_lastmodifieddate.
    const x = sb.state.hubspot.deals().find((d) => d.properties.hs_is_closed === 'true')!;
    sb.clock.advance({ hours: 1 });
    const hs = new Client({ accessToken: token, basePath: sb.hubspot.apiBase });
    await hs.crm.deals.basicApi.update(x.id, { properties: { dealname: 'Edited just before the sync' } });
    const editedAt = Date.parse(sb.state.hubspot.deal(x.id)!.properties.hs_lastmodifieddate!);
    sb.clock.advance({ seconds: 2 });

    const run1 = await collect(c.fetchChanges({ cursor: cursor1 }));
    // The index has not caught up: this run cannot see the edit.
    expect(run1.flatMap((p) => p.records).map((r) => r.id)).not.toContain(x.id);
    const cursor2 = run1.at(-1)!.cursor;
    sb.clock.advance({ hours: 1 });
    expect(Date.parse(sb.state.hubspot.deal(x.id)!.properties.hs_lastmodifieddate!)).toBe(editedAt);

    const delivered = (pages: FetchPage[]) => pages.flatMap((p) => p.records).filter((r) => r.id === x.id);
    // The next run re-reads five minutes before its cursor, and finds it.
    const run2 = delivered(await collect(make().fetchChanges({ cursor: cursor2 })));
    expect(run2.map((r) => r.data.dealname)).toEqual(['Edited just before the sync']);
    // Without the overlap the edit would be lost for good.
    expect(delivered(await collect(make({ overlapMs: 0 }).fetchChanges({ cursor: cursor2 })))).toEqual([]);
  });

  it('keeps CRM search under five requests a second, with no 429 to recover from', async () => {
    const { sb, make } = await open({ deals: 60 });
    const c = make();
    const since = new Date(sb.clock.now().getTime() - 3_600_000).toISOString();
    const cursor = JSON.stringify({ v: 1, phase: 'incremental', since, run: null, archivedCheckedAt: sb.clock.now().toISOString() });
    // Twelve runs at once on one connector: at least twelve searches, which HubSpot would refuse past five a second.
    await Promise.all(Array.from({ length: 12 }, () => collect(c.fetchChanges({ cursor }))));
    expect(c.hubspotUsage().byOperation['search deals']).toBeGreaterThanOrEqual(12);
    expect(sb.state.calls.filter((x) => x.status === 429)).toEqual([]);
  });

  it('stays inside the portal burst window as the HubSpot rate-limit headers report it', async () => {
    // A portal whose app may make 8 calls per 2 s: the connector learns it from X-HubSpot-RateLimit-Max.
    const { sb, make } = await open(
      { deals: 150, seed: 7, hubspot: { burstLimit: 8, burstWindowMs: 2_000 } },
      { budget: { intervalMs: 2_000 } },
    );
    const c = make();
    const pages = await collect(c.fetchChanges({ cursor: null }));
    expect(pages.flatMap((p) => p.records)).toHaveLength(sb.state.hubspot.deals().length);
    expect(c.hubspotUsage().calls).toBeGreaterThan(8);
    expect(sb.state.calls.filter((x) => x.status === 429)).toEqual([]);
  }, 30_000);

  it('stops on a DAILY 429 until the next portal day, without retrying', async () => {
    const { sb, make } = await open({ deals: 30, hubspot: { dailyLimit: 2 } });
    const e = await collect(make().fetchChanges({ cursor: null })).catch((err: unknown) => err);
    expect(e).toMatchObject({
      code: 'crm_quota_exhausted',
      details: { policyName: 'DAILY', pausedUntil: new Date('2026-11-25T00:00:00.000Z') },
    });
    expect(sb.state.calls.filter((x) => x.status === 429)).toHaveLength(1);
  });

  it('refreshes the 30-minute access token before HubSpot expires it', async () => {
    const { sb, make } = await open({ deals: 10, tokenClock: 'sandbox' });
    const c = make();
    const id = sb.state.hubspot.deals()[0]!.id;
    expect((await c.fetchDealsById([id])).records).toHaveLength(1);
    sb.clock.advance({ minutes: 31 });
    expect((await c.fetchDealsById([id])).records).toHaveLength(1);
    expect(sb.state.calls.filter((x) => x.status === 401)).toEqual([]);
    expect(sb.state.calls.filter((x) => x.path.endsWith('/token'))).toHaveLength(1);
  });

  it('refreshes once on a 401 and carries on', async () => {
    const { sb, make } = await open({ deals: 10 });
    sb.faults.add({ on: 'POST hs batch/read', expireToken: true, times: 1 });
    const c = make();
    const id = sb.state.hubspot.deals()[0]!.id;
    expect((await c.fetchDealsById([id])).records).toHaveLength(1);
    expect(sb.state.calls.filter((x) => x.status === 401)).toHaveLength(1);
    expect(sb.state.calls.filter((x) => x.path.endsWith('/token'))).toHaveLength(1);
  });

  it('reports the one deal HubSpot refuses inside a batch update (207) and writes the others', async () => {
    const { sb, make } = await open({ deals: 10, hubspot: { riskProperties: 'ready' } });
    const [a, b, c] = sb.state.hubspot.deals();
    sb.faults.add({ on: 'POST hs batch/update', rejectRecords: { ids: [b!.id], message: 'A validation rule refused this deal' } });
    const fields: DealUpdate['fields'] = {
      score: 72,
      category: 'High',
      winProbability: 0.3,
      drivers: 'No activity for 41 days',
      action: 'Call the buyer',
      scoredAt: sb.clock.now(),
      modelStatus: 'ok',
    };
    const results = await make().writeBack([a!, b!, c!].map((d) => ({ externalId: d.id, fields })));
    expect(results.map((r) => [r.externalId, r.ok])).toEqual([
      [a!.id, true],
      [b!.id, false],
      [c!.id, true],
    ]);
    expect(results[1]!.error?.message).toContain('A validation rule refused this deal');
    expect(sb.state.calls.filter((x) => x.path.endsWith('/batch/update')).map((x) => x.status)).toEqual([207]);
    expect(sb.state.hubspot.deal(c!.id)!.properties.risk_score).toBe('72');
  });

  it('creates the alert task of a deal whose name fills a HubSpot text property, and finds it again', async () => {
    const { sb, make } = await open({ deals: 10 });
    const deal = sb.state.hubspot.deals()[0]!;
    // A name HubSpot takes (65,536 characters) makes a subject longer than any text property holds.
    const name = 'N'.repeat(65_536);
    const request = {
      key: `${deal.id}:critical-alert:2026-11-24`,
      dealExternalId: deal.id,
      ownerId: null,
      subject: `Deal at critical risk (97/100): ${name}`,
      description: `- ${'No activity for 41 days. '.repeat(3_000)}`,
      priority: 'high' as const,
      dueDate: sb.clock.now(),
    };
    const [made] = await make().upsertTasks([request]);
    expect(made).toMatchObject({ ok: true, status: 'created' });
    const [again] = await make().upsertTasks([request]);
    expect(again).toEqual({ key: request.key, ok: true, status: 'open', taskId: made!.taskId });
  });

  it('finds its task among the many on a deal, page by association page', async () => {
    const { sb, make, token } = await open({ deals: 10, hubspot: { associationPageSize: 2 } });
    const deal = sb.state.hubspot.deals()[0]!;
    const hs = new Client({ accessToken: token, basePath: sb.hubspot.apiBase });
    for (let i = 0; i < 4; i++) {
      await hs.crm.objects.tasks.basicApi.create({
        properties: { hs_task_subject: `Rep task ${i}`, hs_timestamp: '2026-12-01T09:00:00Z' },
        associations: [{ to: { id: deal.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 216 }] }],
      });
    }
    const request = {
      key: `${deal.id}:call-buyer`,
      dealExternalId: deal.id,
      ownerId: null,
      subject: 'Risk: call the buyer',
      description: 'Why: no reply',
      priority: 'high' as const,
      dueDate: sb.clock.now(),
    };
    const [made] = await make().upsertTasks([request]);
    expect(made).toMatchObject({ status: 'created' });
    const c = make();
    const [again] = await c.upsertTasks([request]);
    expect(again).toEqual({ key: request.key, ok: true, status: 'open', taskId: made!.taskId });
    // Five tasks, two a page: three association reads, then two task reads of the five ids (50 a call: one).
    expect(c.hubspotUsage().byOperation).toEqual({ 'batch read deal tasks': 3, 'batch read tasks': 1 });
  });
});
