import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import type { AppContext } from '../../src/context.ts';
import { forecastCall } from '../../src/core/forecast/calls.ts';
import { recordClosedQuarter } from '../../src/scoring/forecast.ts';
import { createScoringService } from '../../src/scoring/service.ts';
import { scoringPort } from '../../src/server/adapters/scoring.ts';
import { createApiKey } from '../../src/server/auth/api-key.ts';
import { loadSyncConfig } from '../../src/sync/config.ts';
import { buildDigest } from '../../src/sync/digest.ts';
import { makeConnector } from '../../src/sync/make-connector.ts';
import { modelHealth } from '../../src/sync/requests.ts';
import { syncTenant } from '../../src/sync/sync-tenant.ts';
import { quarterRecorder } from '../../src/worker/forecast-quarters.ts';
import { renderDigestEmail, renderDigestSlack } from '../../src/worker/messages.ts';
import { serviceScorer } from '../../src/worker/service-scorer.ts';
import { api } from '../integration/server/client.ts';
import { NOW, type Web } from '../integration/server/harness.ts';
import { connectAsAdmin, startSandboxWeb } from '../integration/server/mapping-support.ts';

type Json = Record<string, any>;
const DAY = 86_400_000;
const day = (v: unknown): number => Date.parse(String(v).slice(0, 10));

/**
 * Pipeline in one currency and forecast reconciliation, end to end on the sandbox: a multi-currency
 * Salesforce org (dated rates) and HubSpot portal (one currency without a rate), reps who set
 * forecast categories; the real connectors, sync, scoring service, API and pages.
 */
describe('one currency and the forecast against the model, through the sandbox CRMs', () => {
  let sb: Sandbox;
  let w: Web;
  let ctx: AppContext;
  let key: Record<'salesforce' | 'hubspot', string>;
  const tenant = { salesforce: '', hubspot: '' };
  const config = loadSyncConfig();
  const sync = (tenantId: string) =>
    syncTenant({ ctx, scorer: serviceScorer(ctx), connectorFor: makeConnector, holder: 'e2e' }, tenantId, {
      base: config,
      trigger: 'test',
    });

  beforeAll(async () => {
    sb = await startSandbox({
      deals: 300,
      seed: 16,
      clockStart: NOW,
      currencies: { unrated: { code: 'CHF', every: 20 } },
      salesforce: { riskFields: 'ready', forecastCategories: true },
      hubspot: { riskProperties: 'ready', forecastCategories: true },
      taskCompletionDays: null,
    });
    w = await startSandboxWeb(sb, {
      scoring: (t, now) => scoringPort(createScoringService({ store: t.store }), now, (id) => modelHealth({ store: t.store }, id)),
    });
    ctx = { ...w.ctx, now: () => sb.clock.now() };
    for (const crm of ['salesforce', 'hubspot'] as const) {
      await connectAsAdmin(w, crm);
      tenant[crm] = (await w.t.store.tenants.list()).map((t) => t.id).find((id) => id.startsWith(crm === 'salesforce' ? 'sf' : 'hs'))!;
    }
    // A multi-currency org maps CurrencyIsoCode (mappings/salesforce.yaml says so).
    const doc = parseYaml(readFileSync(new URL('../../mappings/salesforce.yaml', import.meta.url), 'utf8')) as Json;
    doc.fields.currency = { from: 'CurrencyIsoCode' };
    await w.t.store.mappings.put(tenant.salesforce, 'salesforce', doc, 'test', NOW);
    key = {
      salesforce: (
        await createApiKey(w.t.store, tenant.salesforce, { name: 'r', role: 'read', ratePerMinute: 10_000, createdBy: 't' }, NOW)
      ).secret,
      hubspot: (await createApiKey(w.t.store, tenant.hubspot, { name: 'r', role: 'read', ratePerMinute: 10_000, createdBy: 't' }, NOW))
        .secret,
    };
  }, 120_000);
  afterAll(async () => {
    await w?.close();
    await sb?.close();
  });

  it('reads the rates once in the first sync, and not again in a sync with nothing new', { timeout: 120_000 }, async () => {
    for (const crm of ['salesforce', 'hubspot'] as const) {
      const first = (await sync(tenant[crm])).runs[0]!;
      expect(first.status, JSON.stringify(first.errors)).toBe('succeeded');
      expect(first.counts.ratesRead).toBe(1);
      const stored = await w.t.store.currencyRates.get(tenant[crm], crm);
      expect(stored?.rates).toMatchObject({ corporate: 'USD', kind: 'dated' });
      expect(stored?.error).toBeNull();
    }
    for (const crm of ['salesforce', 'hubspot'] as const) {
      await sync(tenant[crm]); // our own writes come back as echoes once
      const again = (await sync(tenant[crm])).runs[0]!;
      expect({ crm, apiCalls: again.apiCalls, ratesRead: again.counts.ratesRead ?? 0 }).toEqual({ crm, apiCalls: 1, ratesRead: 0 });
    }
  });

  it('adds Salesforce amounts in dollars, each at the dated rate of its close date', async () => {
    const m = (await api(w.url, 'GET', '/v1/pipeline/metrics', key.salesforce)).body;
    const fx = sb.salesforceCurrencies!;
    const open = sb.state.salesforce.opportunities().filter((o) => o.IsClosed === false);
    expect(new Set(open.map((o) => o.CurrencyIsoCode)).size).toBeGreaterThan(2);
    const expected = open.reduce((a, o) => a + (o.Amount as number) / fx.perCorporate(String(o.CurrencyIsoCode), day(o.CloseDate))!, 0);
    const asIs = open.reduce((a, o) => a + (o.Amount as number), 0);
    expect(m.currency).toBe('USD');
    expect(m.openDeals).toBe(open.length);
    expect(m.rawPipeline).toBeCloseTo(expected, 4);
    expect(Math.abs(m.rawPipeline - asIs)).toBeGreaterThan(1);
    expect(m.unconverted.deals).toBe(0);
    expect(m.riskDistribution.reduce((a: number, d: Json) => a + d.amount, 0)).toBeCloseTo(expected, 4);
  });

  it('lists the HubSpot deals in a currency without a rate instead of summing them', async () => {
    const m = (await api(w.url, 'GET', '/v1/pipeline/metrics', key.hubspot)).body;
    const fx = sb.currencies!;
    const open = sb.state.hubspot.deals().filter((d) => !['closedwon', 'closedlost'].includes(String(d.properties.dealstage)));
    const chf = open.filter((d) => d.properties.deal_currency_code === 'CHF');
    expect(chf.length).toBeGreaterThan(0);
    // HubSpot keeps rates to 6 decimals, as company units per unit of the deal's currency.
    const hubspotRate = (code: string, t: number) => (code === 'USD' ? 1 : Math.round(1e6 / fx.perCorporate(code, t)!) / 1e6);
    const expected = open
      .filter((d) => d.properties.deal_currency_code !== 'CHF')
      .reduce(
        (a, d) => a + Number(d.properties.amount) * hubspotRate(String(d.properties.deal_currency_code), day(d.properties.closedate)),
        0,
      );
    expect(m.currency).toBe('USD');
    expect(m.rawPipeline).toBeCloseTo(expected, 4);
    expect(m.unconverted.deals).toBe(chf.length);
    expect(m.unconverted.byCurrency).toEqual([
      { currency: 'CHF', deals: chf.length, amount: chf.reduce((a, d) => a + Number(d.properties.amount), 0) },
    ]);
    expect(m.unconverted.list[0].reason).toMatch(/^no CHF rate in force on \d{4}-\d{2}-\d{2}$/);
  });

  it("sets the reps' calls against the model, per rep and quarter, in dollars", async () => {
    for (const crm of ['salesforce', 'hubspot'] as const) {
      const r = await api(w.url, 'GET', '/v1/forecast/reconciliation', key[crm]);
      expect(r.status).toBe(200);
      const x = r.body;
      expect(x).toMatchObject({ mapped: true, currency: 'USD' });
      const q = x.quarters[0];
      expect(q).toMatchObject({ quarter: '2026-Q4', current: true });
      // Every open deal called Commit that closes by the quarter's end, and no other.
      const commits =
        crm === 'salesforce'
          ? sb.state.salesforce
              .opportunities()
              .filter((o) => o.IsClosed === false && o.ForecastCategoryName === 'Commit' && day(o.CloseDate) < Date.UTC(2027, 0, 1))
          : sb.state.hubspot
              .deals()
              .filter((d) => d.properties.hs_manual_forecast_category === 'COMMIT' && day(d.properties.closedate) < Date.UTC(2027, 0, 1));
      expect(q.total.calls.commit.deals).toBe(commits.length);
      expect(q.reps.reduce((a: number, rep: Json) => a + rep.calls.commit.deals, 0)).toBe(commits.length);
      const f = q.total.calls.commit;
      expect(f.riskAdjusted).toBeGreaterThanOrEqual(0);
      expect(f.riskAdjusted).toBeLessThanOrEqual(f.scoredAmount + 1e-6);
      // The flagged deals are exactly the stored ones where rep and model disagree.
      const scores = new Map((await w.t.store.scores.latest(tenant[crm])).map((s) => [s.externalId, s.category]));
      const deals = await w.t.store.deals.list(tenant[crm], { status: 'open' });
      const inQ = (d: (typeof deals)[number]) => d.expectedCloseDate !== null && d.expectedCloseDate.getTime() < Date.UTC(2027, 0, 1);
      const atRisk = deals.filter(
        (d) => inQ(d) && forecastCall(d.forecastCategory) === 'commit' && ['High', 'Critical'].includes(scores.get(d.externalId)!),
      );
      expect(q.total.flagged.commitAtRisk.map((d: Json) => d.externalId).sort()).toEqual(atRisk.map((d) => d.externalId).sort());
      const low = deals.filter((d) => inQ(d) && forecastCall(d.forecastCategory) === 'pipeline' && scores.get(d.externalId) === 'Low');
      expect(q.total.flagged.pipelineLow.length).toBe(low.length);
    }
  });

  it('shows each amount in its own currency and in dollars on the pages', async () => {
    const b = await connectAsAdmin(w, 'hubspot');
    const overview = await (await b.get('/')).text();
    expect(overview).toContain('Amounts in USD, each deal converted at the rate in force on its close date');
    expect(overview).toMatch(/id="unconverted"/);
    expect(overview).toMatch(/CHF/);
    expect(overview).toContain('Forecast against the model');
    const eur = (await w.t.store.deals.list(tenant.hubspot, { status: 'open' })).find((d) => d.currency === 'EUR')!;
    const page = await (await b.get(`/deals/${encodeURIComponent(eur.externalId)}`)).text();
    expect(page).toMatch(/€[\d,]+ \(≈ \$[\d,]+ at the rate for \d{4}-\d{2}-\d{2}\)/);
    const forecast = await (await b.get('/forecast')).text();
    expect(forecast).toContain('2026-Q4');
    expect(forecast).toContain('Track record');
  });

  it('sorts the deals list by the amount in dollars, the deals without a rate last, each with its own currency', async () => {
    const all = 'risk_category=low,medium,high,critical&sort_by=amount&order=desc&limit=500';
    const r = (await api(w.url, 'GET', `/v1/deals/high-risk?${all}`, key.hubspot)).body;
    expect(r.currency).toBe('USD');
    const values = r.deals.map((d: Json) => d.converted as number | null);
    const rated = values.filter((v: number | null) => v !== null);
    expect(rated).toEqual([...rated].sort((a, b) => b - a));
    // The CHF deals (no rate) come after every converted one, named and with their own amount.
    const firstNull = values.indexOf(null);
    const chf = r.deals.filter((d: Json) => d.currency === 'CHF');
    expect(chf.length).toBeGreaterThan(0);
    expect(firstNull).toBeGreaterThan(0);
    expect(r.deals.slice(firstNull).every((d: Json) => d.converted === null)).toBe(true);
    expect(chf.every((d: Json) => d.converted === null && d.amount > 0 && /no CHF rate/.test(d.notConverted))).toBe(true);
    const eur = r.deals.find((d: Json) => d.currency === 'EUR' && d.amount > 0);
    expect(eur.converted / eur.amount).toBeGreaterThan(1);
    // Not the order of the amounts as the CRM gave them (yen and euros mixed with dollars).
    const own = r.deals.map((d: Json) => d.amount);
    expect(own).not.toEqual([...own].sort((a: number, b: number) => b - a));
    // The page sorts the same way and labels the amount filters with the currency.
    const b = await connectAsAdmin(w, 'hubspot');
    const page = await (
      await b.get(
        `/deals?${all.replace('risk_category=low,medium,high,critical', 'risk_category=Low&risk_category=Medium&risk_category=High&risk_category=Critical')}`,
      )
    ).text();
    expect(page).toContain('Min amount (USD)');
    const at = (d: Json) => page.indexOf(`href="/deals/${encodeURIComponent(d.id)}"`);
    expect(at(r.deals[0])).toBeGreaterThan(0);
    expect(at(r.deals[0])).toBeLessThan(at(r.deals[1]));
    expect(at(r.deals[1])).toBeLessThan(at(r.deals[firstNull]));
  });

  it("gives the managers' digest this quarter's calls against the model, and each amount in its own currency", async () => {
    const admin = await buildDigest(ctx, tenant.hubspot, { minScore: 0, top: 300 });
    expect(admin.currency).toBe('USD');
    expect(admin.forecast).toMatchObject({ quarter: '2026-Q4', currency: 'USD' });
    const x = (await api(w.url, 'GET', '/v1/forecast/reconciliation', key.hubspot)).body;
    expect(admin.forecast!.commit.amount).toBeCloseTo(x.quarters[0].total.calls.commit.amount, 6);
    const eur = admin.deals.find((d) => d.currency === 'EUR' && d.amount !== null)!;
    expect(eur.converted! / eur.amount!).toBeGreaterThan(1);
    expect(admin.deals.filter((d) => d.currency === 'CHF').every((d) => d.converted === null)).toBe(true);
    const slack = JSON.stringify(renderDigestSlack(admin, { kind: 'admin', name: 'Acme' }));
    expect(slack).toContain('Forecast against the model, 2026-Q4: Commit $');
    expect(slack).toMatch(/€[\d,]+ \(≈ \$[\d,]+\)/);
    // The reps' own digests carry their deals, not the managers' forecast.
    const owner = await buildDigest(ctx, tenant.hubspot, { ownerId: eur.ownerId, minScore: 0 });
    expect(owner.forecast).toBeUndefined();
    expect(JSON.stringify(renderDigestEmail(owner, { kind: 'owner', name: null }))).not.toContain('Forecast against the model');
  });

  it('records the closed quarter once: what became of the reps and the model calls', { timeout: 180_000 }, async () => {
    // Past the end of 2026-Q4 and its two days of grace; the syncs on the way see deals close.
    for (const days of [20, 20]) {
      sb.clock.advance({ days });
      for (const crm of ['salesforce', 'hubspot'] as const) expect((await sync(tenant[crm])).runs[0]!.status).not.toBe('failed');
    }
    expect(sb.clock.now().getTime()).toBeGreaterThan(Date.UTC(2027, 0, 1) + 2 * DAY);
    const recordQuarter = quarterRecorder(ctx);
    for (const crm of ['salesforce', 'hubspot'] as const) {
      const rec = await recordQuarter(tenant[crm]);
      expect(rec).not.toBeNull();
      expect(rec!.quarter).toBe('2026-Q4');
      expect(rec!.deals).toBeGreaterThan(0);
      const t = rec!.total;
      for (const o of [...Object.values(t.rep), ...Object.values(t.model)]) expect(o.won + o.lost + o.slipped).toBe(o.deals);
      expect(Object.values(t.rep).reduce((a, o) => a + o.deals, 0)).toBe(rec!.deals);
      expect(rec!.reps.reduce((a, r) => a + r.rep.commit.deals, 0)).toBe(t.rep.commit.deals);
      // Outcomes are the sandbox's: a deal counted won was won before the quarter ended.
      expect(t.rep.commit.won + t.rep.best_case.won + t.rep.pipeline.won + t.rep.omitted.won).toBeGreaterThan(0);
      // Written once: the worker's next look (and any other worker's) leaves it as it is.
      expect(await recordQuarter(tenant[crm])).toBeNull();
      expect(await recordClosedQuarter(w.t.store, tenant[crm], ctx.now())).toBeNull();
      const x = (await api(w.url, 'GET', '/v1/forecast/reconciliation', key[crm])).body;
      expect(x.trackRecord[0]).toMatchObject({ quarter: '2026-Q4', deals: rec!.deals });
    }
  });
});
