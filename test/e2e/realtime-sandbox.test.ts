import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallLogEntry } from '../../sandbox/index.ts';
import { type RealtimeLoop, startRealtimeLoop } from '../helpers/realtime-sandbox.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

/**
 * A rep edits one deal in the CRM; within the worker's poll interval its new score is in the CRM,
 * and no sync of the tenant ran: the sandbox CRM's call log and our run records show one read of
 * that deal by id and one write. HubSpot tells us by a signed webhook to the web app; Salesforce
 * sends none, so the worker's change poll finds the edit. Real connectors, mapping, scoring.
 */
describe('real-time rescoring against the sandbox CRM', () => {
  let t: TestStore;
  let loop: RealtimeLoop;

  beforeAll(async () => {
    t = await createTestStore();
    // 1,000 deals: enough closed ones that both models rank deals (status ok), so an edit moves a score.
    loop = await startRealtimeLoop(t, { deals: 1000, seed: 42 });
  }, 600_000);
  afterAll(async () => {
    await loop?.close();
    await t?.drop();
  });

  const until = async <T>(what: string, fn: () => Promise<T | null> | T | null, timeoutMs = 30_000): Promise<T> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v !== null) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const runsOf = async (tenant: string) => t.store.syncRuns.list(tenant, { limit: 50 });
  /** An open deal with a score, the riskiest first: the edit below makes it safer. */
  const openDeal = async (tenant: string) => (await t.store.scores.latest(tenant)).sort((a, b) => b.score - a.score)[0]!;
  const since = (n: number): CallLogEntry[] => loop.sb.state.calls.slice(n);

  it('writes back the new score of a HubSpot deal within seconds of its webhook, with no sync of the tenant', {
    timeout: 120_000,
  }, async () => {
    loop.startWorker();
    const deal = await openDeal('hs');
    const before = loop.writtenScore('hubspot', deal.externalId);
    expect(before).toBe(deal.score);
    const runsBefore = (await runsOf('hs')).length;
    const calls = loop.sb.state.calls.length;

    await loop.editHubSpotDeal(deal.externalId, { amount: '1500', dealstage: 'contractsent' });
    expect(await loop.deliverWebhook([deal.externalId])).toBe(204);
    const after = await until('the new score in HubSpot', () => {
      const s = loop.writtenScore('hubspot', deal.externalId);
      return s !== before ? s : null;
    });

    const stored = (await t.store.scores.latest('hs', { externalIds: [deal.externalId] }))[0]!;
    expect(after).toBe(stored.score);
    // The write is in; the run that made it records itself right after.
    const runs = await until('the run record', async () => {
      const all = await runsOf('hs');
      const mine = all.slice(0, all.length - runsBefore);
      return mine.some((r) => r.status === 'running') ? null : mine;
    });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      trigger: 'webhook',
      status: 'succeeded',
      counts: expect.objectContaining({ fetched: 1, scored: 1, written: 1 }),
      details: expect.objectContaining({ realtime: { deals: 1, how: 'read by id' } }),
    });
    // What HubSpot saw: our deal read by id (batch read, its associations) and its write; no
    // search or listing of deals, as any sync would start with.
    const hs = since(calls).filter((c) => c.crm === 'hs');
    expect(hs.filter((c) => /\/search$/.test(c.path) || /\/crm\/v3\/objects\/deals$/.test(c.path))).toEqual([]);
    expect(hs.some((c) => c.method === 'POST' && /\/crm\/v3\/objects\/deals\/batch\/read$/.test(c.path))).toBe(true);
    expect(hs.filter((c) => c.method === 'POST' && /\/crm\/v3\/objects\/deals\/batch\/update$/.test(c.path))).toHaveLength(1);
  });

  it('finds a Salesforce edit by its change poll and writes back the new score, with no sync of the tenant', {
    timeout: 120_000,
  }, async () => {
    // The poll has started (its mark is past every change so far) before the rep edits.
    await until('the first change poll', markOf);
    // A second later on the CRM's clock (the sandbox's only moves when told): the edit is news.
    loop.sb.clock.advance({ seconds: 1 });
    const deal = await openDeal('sf');
    const before = loop.writtenScore('salesforce', deal.externalId);
    expect(before).toBe(deal.score);
    const runsBefore = (await runsOf('sf')).length;
    const calls = loop.sb.state.calls.length;

    await loop.editOpportunity(deal.externalId, { Amount: 1500, LeadSource: 'Web', StageName: 'Negotiation/Review' });
    const after = await until('the new score in Salesforce', () => {
      const s = loop.writtenScore('salesforce', deal.externalId);
      return s !== before ? s : null;
    });

    const stored = (await t.store.scores.latest('sf', { externalIds: [deal.externalId] }))[0]!;
    expect(after).toBe(stored.score);
    // The write is in; the run that made it records itself right after.
    const runs = await until('the run record', async () => {
      const all = await runsOf('sf');
      const mine = all.slice(0, all.length - runsBefore);
      return mine.some((r) => r.status === 'running') ? null : mine;
    });
    expect(runs).toHaveLength(1);
    // The poll queues every opportunity changed since its mark: ours, and any a rep of the
    // sandbox touched in that second; each is read by id, none by a sync.
    const run = runs[0]!;
    const named = (run.details.realtime as { deals: number }).deals;
    // Salesforce sent no webhook: the run says the change poll found the deals.
    expect(run).toMatchObject({
      trigger: 'poll',
      status: 'succeeded',
      counts: expect.objectContaining({ fetched: named }),
      details: expect.objectContaining({ realtime: { deals: named, how: 'read by id' } }),
    });
    expect(run.counts.written).toBeGreaterThanOrEqual(1);
    // What Salesforce saw: change polls (Id and SystemModstamp only), the opportunity read by id,
    // its history, and the write; never the change query a sync starts with.
    const queries = since(calls)
      .filter((c) => c.crm === 'sf' && /\/query(All)?$/.test(c.path))
      .map((c) => new URLSearchParams(c.query).get('q') ?? '');
    expect(queries.filter((q) => /^SELECT Id, SystemModstamp, IsClosed/.test(q) && !q.includes(' WHERE Id IN ('))).toEqual([]);
    expect(queries.some((q) => q.startsWith('SELECT Id, SystemModstamp FROM Opportunity WHERE SystemModstamp'))).toBe(true);
    const byId = queries.filter((q) => / FROM Opportunity WHERE Id IN \(/.test(q));
    expect(byId).toHaveLength(1);
    expect(byId[0]).toContain(`'${deal.externalId}'`);
    // The polls' calls are on no run record; the connection's tally counts each poll and its calls.
    const [connection] = await t.store.connections.list('sf');
    const polled = await t.store.changePollCalls.since('sf', connection!.id, new Date(0));
    expect(polled.polls).toBeGreaterThanOrEqual(2);
    expect(polled.calls).toBeGreaterThanOrEqual(polled.polls);
    expect(
      loop.sb.state.salesforce.fieldWrites.filter((w) => w.object === 'Opportunity' && w.id === deal.externalId).length,
    ).toBeGreaterThanOrEqual(2);
  });

  async function markOf(): Promise<string | null> {
    const r = await t.store.db.selectFrom('connections').select('changes_mark').where('tenant_id', '=', 'sf').executeTakeFirst();
    return r?.changes_mark ?? null;
  }
});
