import { Client } from '@hubspot/api-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createHubSpotConnector, type HubSpotConnectorOptions } from '../../../connectors/hubspot/connector.ts';
import type { FetchPage } from '../../../connectors/types.ts';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../../src/sandbox/index.ts';
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
  const creds = new MemoryCredentials({ accessToken: t.access_token, refreshToken: t.refresh_token, expiresAt, accountId: String(t.hub_id), instanceUrl: sb.hubspot.apiBase, authBaseUrl: sb.hubspot.apiBase, scopes: t.scopes });
  const s = sb;
  const make = (more: Partial<HubSpotConnectorOptions> = {}) =>
    createHubSpotConnector({ tenantId: 't-limits', mapping: hubspotMapping(), credentials: creds, clientId: s.hubspot.clientId, clientSecret: s.hubspot.clientSecret, now: () => s.clock.now(), ...extra, ...more });
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
});
