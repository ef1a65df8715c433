import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncPort } from '../../../src/server/adapters/sync.ts';
import { createApiKey } from '../../../src/server/auth/api-key.ts';
import { buildDigest } from '../../../src/sync/digest.ts';
import { seedActionRecords } from '../../helpers/action-tasks.ts';
import { api, Browser } from './client.ts';
import { NOW, startTestWeb, type Web } from './harness.ts';

const DAY = 86_400_000;
const T = 'sf-orga';

describe('action outcomes: API and page', () => {
  let w: Web;
  let key: string;
  let admin: Browser;

  beforeAll(async () => {
    w = await startTestWeb({ sync: syncPort });
    admin = new Browser(w.url);
    await admin.oauth('salesforce', 'install', { org: 'ORGA', user: 'ada', name: 'Ada Admin' });
    key = (await createApiKey(w.t.store, T, { name: 'k', role: 'read', ratePerMinute: 1000, createdBy: 'test' }, NOW)).secret;
    await w.t.store.tenants.ensure('sf-other');
    await seedActionRecords(w.t.store, T, NOW);
  });
  afterAll(async () => w?.close());

  it('reports each action with counts, rates and 95% intervals, comparing only where both groups have enough deals', async () => {
    const r = await api(w.url, 'GET', '/v1/actions/outcomes', key);
    expect(r.status).toBe(200);
    expect(r.body.caveat).toMatch(/^Observed association, not proof of cause/);
    expect(r.body.tasks).toEqual({ followed: 65, completed: 30, dismissed: 0, open: 35 });
    const mt = r.body.outcomes.find((o: { key: string }) => o.key === 'multithread');
    expect(mt).toMatchObject({ recommended: 60, completed: 30, rules: ['single_threaded'], speed: { eligible: 60, medianDays: 2 } });
    expect(mt.speed.doneWithin).toMatchObject({ n: 60, count: 30, estimate: 0.5 });
    expect(mt.lossRate).toMatchObject({ shown: true, counts: { acted: 30, notActed: 30 }, strata: 1 });
    expect(mt.lossRate.acted.estimate).toBeCloseTo(10 / 30, 10);
    expect(mt.lossRate.notActed.estimate).toBeCloseTo(20 / 30, 10);
    expect(mt.lossRate.difference.high).toBeLessThan(0);
    const review = r.body.outcomes.find((o: { key: string }) => o.key === 'deal_review');
    expect(review.lossRate).toMatchObject({ shown: false, acted: null, difference: null, counts: { acted: 0, notActed: 0 } });
    expect(review.riskChange.reason).toBe('needs 30 matched deals in each group; has 0 acted on and 0 not (of 0 and 5 before matching)');
    // No NaN travels as JSON: a rate over no deals is null.
    expect(review.speed.doneWithin.estimate).toBe(0);
    expect(JSON.stringify(r.body)).not.toMatch(/NaN|Infinity/);

    const byRule = await api(w.url, 'GET', '/v1/actions/outcomes?by=rule&min_deals=5&act_within_days=1', key);
    expect(byRule.body.outcomes.map((o: { key: string }) => o.key)).toEqual(['high_risk_review', 'single_threaded']);
    // Done on day 2: not within a 1-day window.
    expect(byRule.body.outcomes[1].speed.doneWithin.count).toBe(0);
  });

  it('takes an empty value (a form\'s "any time") as no value', async () => {
    const r = await api(w.url, 'GET', '/v1/actions/outcomes?since_days=&by=action', key);
    expect(r.status).toBe(200);
    expect(r.body.since).toBeNull();
  });

  it('answers crafted parameters with 400, naming the parameter', async () => {
    for (const q of ['by=deal', 'act_within_days=0', 'follow_days=1e400', 'min_deals=-1', 'since_days=abc', 'limit=5']) {
      const r = await api(w.url, 'GET', `/v1/actions/outcomes?${q}`, key);
      expect({ q, status: r.status }).toEqual({ q, status: 400 });
      expect(r.body.error).toBe('input_invalid');
    }
  });

  it("keeps to the caller's tenant", async () => {
    const other = (await createApiKey(w.t.store, 'sf-other', { name: 'k', role: 'read', ratePerMinute: 1000, createdBy: 'test' }, NOW))
      .secret;
    const r = await api(w.url, 'GET', '/v1/actions/outcomes', other);
    expect(r.body.tasks.followed).toBe(0);
    expect(r.body.outcomes).toEqual([]);
  });

  it('shows the Actions page, in the navigation, with the caveat, each action and each rep', async () => {
    const res = await admin.get('/actions');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<a href="/actions" aria-current="page">Actions</a>');
    expect(page).toContain('Observed association, not proof of cause');
    expect(page).toMatch(/<tr data-action="multithread">[\s\S]*?lower loss when acted on/);
    expect(page).toMatch(/<tr data-action="deal_review">[\s\S]*?Not shown yet: needs 30 matched deals/);
    expect(page).toMatch(/id="rep-completion"[\s\S]*Ada[\s\S]*Bo/);
    expect((await admin.get('/actions?by=nope')).status).toBe(400);
  });

  it("gives managers each rep's follow-through in the daily digest", async () => {
    const digest = await buildDigest(w.ctx, T);
    expect(digest.actions).toMatchObject({ sinceDays: 30, actWithinDays: 7, eligible: 65, doneWithin: 30 });
    expect(digest.actions!.reps.map((r) => [r.ownerName, r.eligible, r.doneWithin, r.completed, r.medianDays, r.open])).toEqual([
      ['Ada', 33, 30, 30, 2, 3],
      ['Bo', 32, 0, 0, null, 32],
    ]);
    expect((await buildDigest(w.ctx, T, { ownerId: 'u1' })).actions).toBeUndefined();
    // GET /v1/digest gives managers the same follow-through as the emailed digest.
    const viaApi = await api(w.url, 'GET', '/v1/digest', key);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body.actions).toEqual(digest.actions);
  });

  it("shows each playbook rule's record next to the playbook editor", async () => {
    await w.t.store.actionTasks.insert(T, [
      {
        taskKey: 'salesforce:D60:exec_call',
        source: 'salesforce',
        externalId: 'D60',
        action: 'exec_call',
        rule: 'crit',
        taskId: '00Tx',
        ownerId: 'u1',
        ownerName: 'Ada',
        recommendedAt: new Date(NOW.getTime() - 20 * DAY),
        score: 90,
        category: 'Critical',
        segment: null,
      },
    ]);
    const page = await (await admin.get('/settings')).text();
    expect(page).toMatch(/id="playbook-text"[\s\S]*id="playbook-records"/);
    const row = /<tr data-rule="crit">[\s\S]*?<\/tr>/.exec(page)?.[0] ?? '';
    expect(row).toBe(
      '<tr data-rule="crit"><th scope="row"><code>crit</code></th><td>Executive call</td><td class="num">1</td><td class="num">0% (0 of 1)</td><td class="num"><span class="small muted">not enough deals yet</span></td></tr>',
    );
  });
});
