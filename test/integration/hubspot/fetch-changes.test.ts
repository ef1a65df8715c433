import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FetchPage } from '../../../connectors/types.ts';
import { compileMapping } from '../../../src/mapping/to-deal.ts';
import { collect, hubspotMapping, MemoryCredentials, makeConnector, oauthCredentials, TestClock } from './support/connector.ts';
import { aDeal, type FakeDeal, FakeHubSpot } from './support/fake-hubspot.ts';

let fake: FakeHubSpot | null = null;
beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  fake?.stop();
  fake = null;
  nock.cleanAll();
});

const ids = (pages: FetchPage[]): string[] => pages.flatMap((p) => p.records.map((r) => r.id));
const lastCursor = (pages: FetchPage[]): string => pages[pages.length - 1]!.cursor!;

function modifiedAt(deals: FakeDeal[], start: number, stepMs: number): FakeDeal[] {
  for (const [i, d] of deals.entries()) d.properties.hs_lastmodifieddate = new Date(start + i * stepMs).toISOString();
  return deals;
}

describe('HubSpot fetchChanges', () => {
  it('lists every deal on a first sync, with stage status from pipeline metadata, then hands over an incremental cursor', async () => {
    const clock = new TestClock();
    const deals = Array.from({ length: 150 }, (_, i) =>
      aDeal(i, i === 3 ? { props: { dealstage: 'closedwon', hs_is_closed: 'true' } } : {}),
    );
    deals[5]!.companyId = '407218578642';
    fake = new FakeHubSpot({
      deals,
      companies: {
        '407218578642': {
          name: 'Test Company 2',
          industry: 'COMPUTER_SOFTWARE',
          country: 'United States',
          state: 'MA',
          numberofemployees: '120',
        },
      },
    });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const pages = await collect(c.fetchChanges({ cursor: null }));
    expect(ids(pages)).toHaveLength(150);
    expect(new Set(ids(pages)).size).toBe(150);
    expect(fake.count('/crm/v3/objects/deals?')).toBe(2); // 100 + 50, the list endpoint has no 10k cap
    expect(fake.count('/crm/v3/pipelines/deals')).toBe(1);
    const won = pages.flatMap((p) => p.records).find((r) => r.id === deals[3]!.id)!;
    expect((won.data._derived as { stage: { status: string; label: string } }).stage).toMatchObject({ status: 'won', label: 'Closed Won' });
    const withCompany = pages.flatMap((p) => p.records).find((r) => r.id === deals[5]!.id)!;
    const map = compileMapping(hubspotMapping());
    const mapped = map(withCompany, { tenantId: 't' });
    expect(mapped.ok && mapped.deal.account).toMatchObject({ industry: 'COMPUTER_SOFTWARE', country: 'United States', size: '120' });
    expect(JSON.parse(lastCursor(pages))).toMatchObject({ phase: 'incremental', since: clock.now().toISOString() });
  });

  it('pages a window by hs_object_id keyset, 200 a page, and delivers each changed deal once', async () => {
    const clock = new TestClock();
    const deals = modifiedAt(
      Array.from({ length: 450 }, (_, i) => aDeal(i)),
      clock.t - 50 * 60_000,
      1000,
    );
    fake = new FakeHubSpot({ deals });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const cursor = JSON.stringify({
      v: 1,
      phase: 'incremental',
      since: new Date(clock.t - 60 * 60_000).toISOString(),
      run: null,
      archivedCheckedAt: clock.now().toISOString(),
    });
    const pages = await collect(c.fetchChanges({ cursor }));
    expect(ids(pages)).toEqual(deals.map((d) => d.id));
    const searches = fake.log
      .filter((r) => r.path === '/crm/v3/objects/deals/search')
      .map(
        (r) =>
          r.body as {
            filterGroups: Array<{ filters: Array<{ propertyName: string; operator: string; value: string }> }>;
            limit: number;
            after?: string;
          },
      );
    expect(searches).toHaveLength(3); // ⌈450/200⌉
    expect(searches.every((s) => s.limit === 200 && s.after === undefined)).toBe(true);
    expect((searches[0] as unknown as { sorts: unknown }).sorts).toEqual([{ propertyName: 'hs_object_id', direction: 'ASCENDING' }]);
    expect(searches[1]!.filterGroups[0]!.filters).toContainEqual({ propertyName: 'hs_object_id', operator: 'GT', value: deals[199]!.id });
    // The cursor after page 1 resumes exactly after its last id.
    expect(JSON.parse(pages[0]!.cursor!).run).toMatchObject({ lastId: deals[199]!.id });
  });

  it('splits a window whose total passes 10,000 so no search ever pages past the cap', async () => {
    const clock = new TestClock();
    const n = 23_000;
    const deals = modifiedAt(
      Array.from({ length: n }, (_, i) => aDeal(i)),
      clock.t - 55 * 60_000,
      100,
    );
    fake = new FakeHubSpot({ deals, rateHeaders: false });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const cursor = JSON.stringify({
      v: 1,
      phase: 'incremental',
      since: new Date(clock.t - 60 * 60_000).toISOString(),
      run: null,
      archivedCheckedAt: clock.now().toISOString(),
    });
    const got = new Set<string>();
    let pages = 0;
    for await (const p of c.fetchChanges({ cursor })) {
      for (const r of p.records) {
        expect(got.has(r.id)).toBe(false);
        got.add(r.id);
      }
      pages++;
    }
    expect(got.size).toBe(n);
    expect(fake.maxSearchDepth).toBeLessThanOrEqual(10_000);
    const searches = fake.count('/crm/v3/objects/deals/search');
    const totals = fake.log.filter((r) => r.path === '/crm/v3/objects/deals/search').length;
    expect(totals).toBe(searches);
    // ⌈23000/200⌉ = 115 pages of data, plus the probes that found a window too big, plus partial last pages.
    expect(searches).toBeGreaterThanOrEqual(115);
    expect(searches).toBeLessThanOrEqual(115 + 8);
    expect(pages).toBeGreaterThanOrEqual(115);
  }, 90_000);

  it('stops splitting when changes share one instant (a batch write) and keyset-pages through them', async () => {
    const clock = new TestClock();
    const at = clock.t - 10 * 60_000;
    const deals = modifiedAt(
      Array.from({ length: 450 }, (_, i) => aDeal(i)),
      at,
      0,
    );
    fake = new FakeHubSpot({ deals });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)), { searchCap: 200 });
    const cursor = JSON.stringify({
      v: 1,
      phase: 'incremental',
      since: new Date(clock.t - 60 * 60_000).toISOString(),
      run: null,
      archivedCheckedAt: clock.now().toISOString(),
    });
    const pages = await collect(c.fetchChanges({ cursor }));
    expect(ids(pages).sort()).toEqual(deals.map((d) => d.id).sort());
    // 3 pages of data; one probe and one empty window show splitting cannot help, then keyset.
    expect(fake.count('/crm/v3/objects/deals/search')).toBeLessThanOrEqual(3 + 2);
  });

  it('resumes from a mid-window cursor without losing or repeating deals', async () => {
    const clock = new TestClock();
    const deals = modifiedAt(
      Array.from({ length: 500 }, (_, i) => aDeal(i)),
      clock.t - 40 * 60_000,
      1000,
    );
    fake = new FakeHubSpot({ deals });
    const cursor = JSON.stringify({
      v: 1,
      phase: 'incremental',
      since: new Date(clock.t - 60 * 60_000).toISOString(),
      run: null,
      archivedCheckedAt: clock.now().toISOString(),
    });
    const first = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const it1 = first.fetchChanges({ cursor })[Symbol.asyncIterator]();
    const p1 = (await it1.next()).value as FetchPage; // stored; then the worker dies
    const second = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const rest = await collect(second.fetchChanges({ cursor: p1.cursor }));
    expect([...p1.records.map((r) => r.id), ...ids(rest)]).toEqual(deals.map((d) => d.id));
  });

  it('stops between pages when the run is aborted, after handing over a complete page', async () => {
    const clock = new TestClock();
    fake = new FakeHubSpot({
      deals: modifiedAt(
        Array.from({ length: 450 }, (_, i) => aDeal(i)),
        clock.t - 50 * 60_000,
        1000,
      ),
    });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const ac = new AbortController();
    const cursor = JSON.stringify({
      v: 1,
      phase: 'incremental',
      since: new Date(clock.t - 60 * 60_000).toISOString(),
      run: null,
      archivedCheckedAt: clock.now().toISOString(),
    });
    const got: FetchPage[] = [];
    const err = await (async () => {
      for await (const p of c.fetchChanges({ cursor, signal: ac.signal })) {
        got.push(p);
        ac.abort();
      }
    })().catch((e) => e);
    expect(err?.name).toBe('AbortError');
    expect(got).toHaveLength(1);
    expect(got[0]!.records).toHaveLength(200);
    expect(fake.count('/crm/v3/objects/deals/search')).toBe(1);
  });

  it('costs one call for an hourly sync with nothing new', async () => {
    const clock = new TestClock();
    fake = new FakeHubSpot({ deals: modifiedAt([aDeal(1)], clock.t - 3 * 3_600_000, 0) });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const cursor = JSON.stringify({
      v: 1,
      phase: 'incremental',
      since: new Date(clock.t - 3_600_000).toISOString(),
      run: null,
      archivedCheckedAt: new Date(clock.t - 3_600_000).toISOString(),
    });
    const pages = await collect(c.fetchChanges({ cursor }));
    expect(ids(pages)).toEqual([]);
    expect(c.usage().calls).toBe(1);
    expect(JSON.parse(lastCursor(pages))).toMatchObject({ since: clock.now().toISOString(), run: null });
  });

  it('reports deals archived since the last daily check as deleted', async () => {
    const clock = new TestClock();
    const gone = aDeal(7, { archivedAt: new Date(clock.t - 2 * 3_600_000).toISOString() });
    const longGone = aDeal(8, { archivedAt: new Date(clock.t - 10 * 86_400_000).toISOString() });
    fake = new FakeHubSpot({ deals: [gone, longGone, aDeal(9)] });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const cursor = JSON.stringify({
      v: 1,
      phase: 'incremental',
      since: new Date(clock.t - 3_600_000).toISOString(),
      run: null,
      archivedCheckedAt: new Date(clock.t - 25 * 3_600_000).toISOString(),
    });
    const pages = await collect(c.fetchChanges({ cursor }));
    expect(pages.flatMap((p) => p.deletedIds)).toEqual([gone.id]);
    expect(JSON.parse(lastCursor(pages)).archivedCheckedAt).toBe(clock.now().toISOString());
  });

  it("names each deal's owner from the owners API, read once a run, and reads archived owners only for an unknown id", async () => {
    const clock = new TestClock();
    const deals = Array.from({ length: 150 }, (_, i) => aDeal(i, i === 7 ? { props: { hubspot_owner_id: '555' } } : {}));
    fake = new FakeHubSpot({ deals });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const pages = await collect(c.fetchChanges({ cursor: null }));
    const map = compileMapping(hubspotMapping());
    const owners = pages
      .flatMap((p) => p.records)
      .map((r) => {
        const m = map(r, { tenantId: 't' });
        if (!m.ok) throw new Error(`${r.id}: ${m.error.field}`);
        return m.deal.owner;
      });
    // 88842095 is "Owner One" in the recorded owners list; 555 is nobody's (a removed user).
    expect(owners.filter((o) => o.id === '88842095').every((o) => o.name === 'Owner One')).toBe(true);
    expect(owners.find((o) => o.id === '555')).toEqual({ id: '555', name: null });
    expect(fake.count('/crm/v3/owners')).toBe(2); // active once (two deal pages), archived once
    expect(
      fake.log.filter((e) => e.path.startsWith('/crm/v3/owners')).map((e) => new URL(e.path, 'http://x').searchParams.get('archived')),
    ).toEqual(['false', 'true']);
  });

  it('keeps syncing with owner ids alone when the install lacks the owners scope', async () => {
    const clock = new TestClock();
    fake = new FakeHubSpot({ deals: Array.from({ length: 150 }, (_, i) => aDeal(i)), ownersDenied: true });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const pages = await collect(c.fetchChanges({ cursor: null }));
    expect(ids(pages)).toHaveLength(150);
    const m = compileMapping(hubspotMapping())(pages[0]!.records[0]!, { tenantId: 't' });
    expect(m.ok && m.deal.owner).toEqual({ id: '88842095', name: null });
    expect(fake.count('/crm/v3/owners')).toBe(1); // asked once, not once a page
  });

  it('derives stage entry, stage history and close-date pushes from propertiesWithHistory', async () => {
    const clock = new TestClock();
    const d = aDeal(1, {
      props: { dealstage: 'contractsent', hs_lastmodifieddate: new Date(clock.t - 60_000).toISOString() },
      history: {
        dealstage: [
          { value: 'appointmentscheduled', timestamp: '2026-01-05T10:00:00.000Z' },
          { value: 'qualifiedtobuy', timestamp: '2026-02-01T10:00:00.000Z' },
          { value: 'contractsent', timestamp: '2026-03-01T10:00:00.000Z' },
        ],
        closedate: [
          { value: '2026-03-31T00:00:00Z', timestamp: '2026-01-05T10:00:00.000Z' },
          { value: '2026-05-31T00:00:00Z', timestamp: '2026-03-02T10:00:00.000Z' },
          { value: '2026-06-30T00:00:00Z', timestamp: '2026-04-02T10:00:00.000Z' },
        ],
      },
    });
    fake = new FakeHubSpot({ deals: [d] });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const cursor = JSON.stringify({
      v: 1,
      phase: 'incremental',
      since: new Date(clock.t - 3_600_000).toISOString(),
      run: null,
      archivedCheckedAt: clock.now().toISOString(),
    });
    const [page] = await collect(c.fetchChanges({ cursor }));
    const r = compileMapping(hubspotMapping())(page!.records[0]!, { tenantId: 't' });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.deal.stageEnteredAt?.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(r.deal.closeDatePushes).toBe(2);
    expect(r.deal.stageHistory.map((s) => s.stage)).toEqual(['Appointment Scheduled', 'Qualified To Buy', 'Contract Sent']);
    expect(r.deal.stage).toEqual({ label: 'Contract Sent', status: 'open', order: 4 });
  });
});

describe('HubSpot fetchDealsById', () => {
  it('reads named deals in batches of 50 (the history-read limit) and reports the ones HubSpot no longer has', async () => {
    const clock = new TestClock();
    const deals = Array.from({ length: 120 }, (_, i) => aDeal(i));
    fake = new FakeHubSpot({ deals });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const wanted = [...deals.map((d) => d.id), '999999999999'];
    const { records, missingIds } = await c.fetchDealsById(wanted);
    expect(records.map((r) => r.id).sort()).toEqual(deals.map((d) => d.id).sort());
    expect(missingIds).toEqual(['999999999999']);
    // 121 ids: 50 + 50 + 21; the fake refuses a batch read with history fields past 50.
    expect(c.hubspotUsage().byOperation['batch read deals']).toBe(3);
    const r = compileMapping(hubspotMapping())(records[0]!, { tenantId: 't' });
    expect(r.ok).toBe(true);
  });
});
