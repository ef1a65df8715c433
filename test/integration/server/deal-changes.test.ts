import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoreTrace } from '../../../src/core/scoring/risk-change.ts';
import { createApiKey } from '../../../src/server/auth/api-key.ts';
import { insertScores } from '../../helpers/scores.ts';
import { api, Browser } from './client.ts';
import { deal, NOW, scoreOf, startTestWeb, type Web } from './harness.ts';

/** GET /v1/deals/{id} `changes`: the risk change ledger over the API (PGlite; Postgres with TEST_DATABASE_URL). */
describe('GET /v1/deals/{id} changes', () => {
  let w: Web;
  let key: string;
  let browser: Browser;
  const T = 'sf-changes';
  const at = (iso: string) => new Date(`${iso}T10:00:00Z`);
  const tr = (v: number, b: number, c: Record<string, number>, x: ScoreTrace['x']): ScoreTrace => ({ v, b, c, x });

  beforeAll(async () => {
    w = await startTestWeb();
    browser = new Browser(w.url);
    await browser.oauth('salesforce', 'install', { org: 'CHANGES', user: 'ada', name: 'Ada Admin' });
    await w.t.store.tenants.ensure(T);
    await w.t.store.tenants.ensure('other');
    key = (await createApiKey(w.t.store, T, { name: 'r', role: 'read', ratePerMinute: 10_000, createdBy: 'test' }, NOW)).secret;
    await w.t.store.deals.upsertMany(
      T,
      ['A', 'B', 'C'].map((id) => ({ deal: deal(T, { externalId: id, currency: 'USD' }) })),
      NOW,
    );
    // A: close date pushed (30 days to go → 44 a week later), activity went quiet, model retrained.
    const before = tr(
      3,
      -0.5,
      { days_to_close: 0, days_since_activity: -0.2, leadSource: 0.1 },
      { days_to_close: 30, days_since_activity: 2, leadSource: 'Web' },
    );
    const after = tr(
      4,
      -0.45,
      { days_to_close: 0.6, days_since_activity: 0.3, leadSource: 0.15 },
      { days_to_close: 44, days_since_activity: 9, leadSource: 'Web' },
    );
    await insertScores(w.t.store, T, [
      { ...scoreOf('A', 20, 'Low'), scoredAt: at('2026-11-10'), trace: before },
      { ...scoreOf('A', 35, 'Medium'), scoredAt: at('2026-11-17'), trace: before },
      { ...scoreOf('A', 40, 'Medium'), scoredAt: at('2026-11-20'), trace: before },
      { ...scoreOf('A', 65, 'High'), scoredAt: NOW, trace: after },
      // B: the earlier scoring predates the ledger.
      { ...scoreOf('B', 30, 'Medium'), scoredAt: at('2026-11-16'), trace: null },
      { ...scoreOf('B', 50, 'Medium'), scoredAt: NOW, trace: after },
      // C: scored for the first time today.
      { ...scoreOf('C', 50, 'Medium'), scoredAt: NOW, trace: after },
    ]);
    // Another tenant's older scoring of the same deal id is never compared with.
    await insertScores(w.t.store, 'other', [{ ...scoreOf('C', 5, 'Low'), scoredAt: at('2026-11-01'), trace: before }]);
  }, 30_000);
  afterAll(async () => w.close());

  it('splits the change since the scoring 7 days before into parts that add up to it, in a sentence', async () => {
    const r = await api(w.url, 'GET', '/v1/deals/A', key);
    expect(r.status).toBe(200);
    expect(r.body.changes).toMatchObject({
      from: { riskScore: 35, scoredAt: '2026-11-17T10:00:00.000Z' },
      to: { riskScore: 65 },
      change: 30,
      explained: true,
      sentence: 'Risk 35 → 65 since 17 Nov: close date pushed 21 days (+15), no activity for 9 days (+12), model retrained (+3)',
    });
    expect(r.body.changes.parts.map((p: any) => [p.kind, p.feature, p.points])).toEqual([
      ['deal', 'days_to_close', 15],
      ['deal', 'days_since_activity', 12],
      ['model', 'model', 3],
    ]);
  });

  it('puts the sentence on the deal page', async () => {
    const page = await (await browser.get('/deals/A')).text();
    expect(page).toContain(
      '<p class="risk-change">Risk 35 → 65 since 17 Nov: close date pushed 21 days (+15), no activity for 9 days (+12), model retrained (+3)</p>',
    );
    expect(await (await browser.get('/deals/C')).text()).not.toContain('risk-change');
  });

  it('shows, without splitting, a change from a scoring made before the ledger; null without an earlier scoring', async () => {
    const b = await api(w.url, 'GET', '/v1/deals/B', key);
    expect(b.body.changes).toMatchObject({ change: 20, explained: false, parts: [] });
    expect((await api(w.url, 'GET', '/v1/deals/C', key)).body.changes).toBeNull();
  });

  it("looks back the tenant's scoring.changeSinceDays", async () => {
    await w.t.store.tenants.updateSettings(T, { scoring: { changeSinceDays: 3 } });
    const r = await api(w.url, 'GET', '/v1/deals/A', key);
    expect(r.body.changes).toMatchObject({ from: { riskScore: 40, scoredAt: '2026-11-20T10:00:00.000Z' }, change: 25 });
    expect(r.body.changes.parts.reduce((n: number, p: any) => n + p.points, 0)).toBe(25);
  });
});
