import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../src/server/auth/api-key.ts';
import { insertScores } from '../../helpers/scores.ts';
import { api } from './client.ts';
import { deal, NOW, scoreOf, startTestWeb, type Web } from './harness.ts';

const MAPPING = {
  version: 1,
  source: 'salesforce',
  object: 'Opportunity',
  id: 'Id',
  fields: {
    name: { from: 'Name' },
    'stage.status': { template: '{IsClosed}/{IsWon}', values: { 'false/false': 'open', 'true/true': 'won', 'true/false': 'lost' } },
  },
};

describe('REST API /v1', () => {
  let w: Web;
  let admin: string;
  let reader: string;
  const T = 'sf-api';

  beforeAll(async () => {
    w = await startTestWeb();
    await w.t.store.tenants.ensure(T);
    admin = (await createApiKey(w.t.store, T, { name: 'admin', role: 'admin', ratePerMinute: 10_000, createdBy: 'test' }, NOW)).secret;
    reader = (await createApiKey(w.t.store, T, { name: 'reader', role: 'read', ratePerMinute: 10_000, createdBy: 'test' }, NOW)).secret;
    const rows = [
      ['D1', 'Alpha', 120_000, 'Ada', 'SaaS', '2026-01-10', 91, 'Critical'],
      ['D2', 'Bravo', 40_000, 'Bob', 'Retail', '2026-10-01', 62, 'High'],
      ['D3', 'Charlie', 75_000, 'Ada', 'Retail', '2026-06-01', 55, 'High'],
      ['D4', 'Delta', 10_000, 'Bob', 'SaaS', '2026-11-01', 12, 'Low'],
    ] as const;
    await w.t.store.deals.upsertMany(
      T,
      rows.map(([id, name, amount, owner, industry, created]) => ({
        deal: deal(T, {
          externalId: id,
          name,
          amount,
          owner: { id: owner.toLowerCase(), name: owner },
          account: { id: null, name: null, industry, region: null, country: null, size: null },
          createdAt: new Date(`${created}T00:00:00Z`),
        }),
        raw: { Id: id, Name: name, IsClosed: false, IsWon: false },
      })),
      NOW,
    );
    await insertScores(w.t.store, T, [{ ...scoreOf('D1', 70, 'High'), scoredAt: new Date('2026-11-20T00:00:00Z') }]);
    await insertScores(
      w.t.store,
      T,
      rows.map(([id, , , , , , score, cat]) => scoreOf(id, score, cat)),
    );
  });
  afterAll(async () => w.close());

  it('refuses calls without a key, with an unknown key, and read-only keys on admin routes', async () => {
    expect(await api(w.url, 'GET', '/v1/deals/high-risk', null)).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect((await api(w.url, 'GET', '/v1/deals/high-risk', `drk_${'x'.repeat(40)}`)).status).toBe(401);
    expect(await api(w.url, 'POST', '/v1/sync', reader, {})).toMatchObject({
      status: 403,
      body: { error: 'forbidden', message: 'this API key is read-only' },
    });
    expect((await api(w.url, 'PUT', '/v1/mappings', reader, { source: 'salesforce', mapping: MAPPING })).status).toBe(403);
  });

  it('lists High and Critical deals by risk with drivers, first action and filters', async () => {
    const r = await api(w.url, 'GET', '/v1/deals/high-risk', reader);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(3);
    expect(r.body.deals.map((d: any) => [d.externalId, d.riskScore])).toEqual([
      ['D1', 91],
      ['D2', 62],
      ['D3', 55],
    ]);
    expect(r.body.deals[0]).toMatchObject({
      id: 'salesforce:D1',
      owner: { name: 'Ada' },
      segment: 'SaaS',
      ageDays: 318,
      drivers: [{ sentence: 'Open 94 days (D1)' }],
      firstAction: { title: 'Call the sponsor of D1', priority: 'immediate' },
    });
    const byAmount = await api(
      w.url,
      'GET',
      '/v1/deals/high-risk?risk_category=high,critical,low&sort_by=amount&order=asc&limit=2',
      reader,
    );
    expect(byAmount.body.deals.map((d: any) => d.externalId)).toEqual(['D4', 'D2']);
    expect(byAmount.body.total).toBe(4);
    const ada = await api(w.url, 'GET', '/v1/deals/high-risk?owner=Ada&segment=retail', reader);
    expect(ada.body.deals.map((d: any) => d.externalId)).toEqual(['D3']);
    const past = await api(w.url, 'GET', '/v1/deals/high-risk?offset=100', reader);
    expect(past.body).toMatchObject({ total: 3, totalExact: true, deals: [] });
    const old = await api(w.url, 'GET', '/v1/deals/high-risk?min_age_days=100&sort_by=age', reader);
    expect(old.body.deals.map((d: any) => d.externalId)).toEqual(['D1', 'D3']);
  });

  it('names the offending parameter of an invalid query', async () => {
    const r = await api(w.url, 'GET', '/v1/deals/high-risk?limit=0&risk_category=Severe', reader);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('input_invalid');
    expect(r.body.details.issues.map((i: any) => i.path).sort()).toEqual(['limit', 'risk_category']);
  });

  it('returns one deal with its score, drivers, actions and history', async () => {
    const r = await api(w.url, 'GET', '/v1/deals/D1', reader);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: 'salesforce:D1',
      name: 'Alpha',
      score: { riskScore: 91, category: 'Critical', confidence: 'high' },
      crmUrl: null,
    });
    expect(r.body.history.map((h: any) => h.riskScore)).toEqual([91, 70]);
    expect((await api(w.url, 'GET', '/v1/deals/NOPE', reader)).status).toBe(404);
  });

  it('scores a deal given in the body and honours Idempotency-Key', async () => {
    const body = { deal: { name: 'New', amount: 64_000, createdAt: '2026-10-01T00:00:00Z', stage: { label: 'Proposal' } } };
    w.calls.length = 0;
    const first = await api(w.url, 'POST', '/v1/deals/score', reader, body, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(200);
    expect(first.body.score).toMatchObject({ riskScore: 64, category: 'High' });
    const again = await api(w.url, 'POST', '/v1/deals/score', reader, body, { 'idempotency-key': 'k-1' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(w.calls.filter((c) => c.op === 'score')).toHaveLength(1);
    const reused = await api(w.url, 'POST', '/v1/deals/score', reader, { deal: { amount: 1 } }, { 'idempotency-key': 'k-1' });
    expect(reused).toMatchObject({ status: 400, body: { error: 'input_invalid' } });
    // Keys belong to their caller: another key may use the same string.
    expect(
      (await api(w.url, 'POST', '/v1/deals/score', admin, body, { 'idempotency-key': 'k-1' })).headers.get('idempotent-replayed'),
    ).toBeNull();
  });

  it('rejects an invalid deal naming the field, bad JSON and oversized bodies with the error shape', async () => {
    const bad = await api(w.url, 'POST', '/v1/deals/score', reader, { deal: { amount: 'lots', createdAt: 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(bad.body.details.issues.map((i: any) => i.path).sort()).toEqual(['deal.amount', 'deal.createdAt']);
    const notJson = await api(w.url, 'POST', '/v1/deals/score', reader, '{"deal":', {});
    expect(notJson).toMatchObject({ status: 400, body: { error: 'input_invalid', message: 'request body is not valid JSON' } });
    const huge = await api(w.url, 'POST', '/v1/deals/score', reader, { deal: { name: 'x'.repeat(300_000) } });
    expect(huge).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
  });

  it('validates a mapping naming the key path, then stores a valid one for this tenant only', async () => {
    const broken = { ...MAPPING, fields: { ...MAPPING.fields, amount: { from: 'Amount', type: 'money' } } };
    const r = await api(w.url, 'PUT', '/v1/mappings', admin, { source: 'salesforce', mapping: broken });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('mapping_invalid');
    expect(r.body.message).toContain('fields.amount.type');
    const ok = await api(w.url, 'PUT', '/v1/mappings', admin, { source: 'salesforce', mapping: MAPPING });
    expect(ok).toMatchObject({ status: 200, body: { overridden: true } });
    expect((await api(w.url, 'GET', '/v1/mappings?source=salesforce', reader)).body).toMatchObject({ overridden: true, mapping: MAPPING });
    expect(await w.t.store.mappings.get('sf-other', 'salesforce')).toBeNull();
  });

  it('validates a playbook naming the key path', async () => {
    const r = await api(w.url, 'PUT', '/v1/playbook', admin, {
      playbook: {
        version: 1,
        rules: [{ id: 'x', action: 'y', title: 't', priority: 'someday', rationale: 'r', when: { category: ['High'] } }],
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('rules.0.priority');
  });

  it('asks for a sync (202) and lists runs, metrics with the risk distribution, model performance and the digest', async () => {
    expect(await api(w.url, 'POST', '/v1/sync', admin, {})).toMatchObject({ status: 202, body: { requested: true } });
    expect((await api(w.url, 'GET', '/v1/sync/runs?limit=5', reader)).body.runs[0].rejected[0].reason).toContain('not a number');
    const m = await api(w.url, 'GET', '/v1/pipeline/metrics', reader);
    expect(m.body.riskDistribution).toEqual([
      { category: 'Low', deals: 1, amount: 10_000 },
      { category: 'Medium', deals: 0, amount: 0 },
      { category: 'High', deals: 2, amount: 115_000 },
      { category: 'Critical', deals: 1, amount: 120_000 },
    ]);
    expect(m.body.potentialRecovery.assumption).toMatch(/intervention/);
    expect((await api(w.url, 'GET', '/v1/models/performance', reader)).body.status).toBe('none');
    expect((await api(w.url, 'GET', '/v1/digest', reader)).body.summary.highRisk).toBe(3);
  });

  it('writes API-key use and admin actions to the audit log', async () => {
    await api(w.url, 'GET', '/v1/digest', reader);
    // Key use is batched and flushed every second: wait for it (bounded).
    const seen = async () =>
      (await w.t.store.audit.list(T, 200)).some(
        (e) => e.action === 'api.request' && e.actor.startsWith('key reader') && e.target === 'GET /v1/digest',
      );
    for (let i = 0; i < 50 && !(await seen()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await seen()).toBe(true);
    const log = await w.t.store.audit.list(T, 200);
    expect(log.some((e) => e.action === 'mapping.updated' && e.actor.startsWith('key admin'))).toBe(true);
  });

  it("answers 429 with Retry-After past a key's rate limit", async () => {
    const slow = (await createApiKey(w.t.store, T, { name: 'slow', role: 'read', ratePerMinute: 3, createdBy: 'test' }, NOW)).secret;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await api(w.url, 'GET', '/v1/playbook', slow));
    expect(statuses.map((s) => s.status)).toEqual([200, 200, 200, 429]);
    expect(statuses[3]!.body.error).toBe('rate_limited');
    expect(Number(statuses[3]!.headers.get('retry-after'))).toBe(20);
  });

  it('stops a key revoked by another process once the short key cache expires', async () => {
    const { key, secret } = await createApiKey(w.t.store, T, { name: 'temp', role: 'read', ratePerMinute: 100, createdBy: 'test' }, NOW);
    expect((await api(w.url, 'GET', '/v1/playbook', secret)).status).toBe(200);
    await w.t.store.apiKeys.revoke(T, key.id, NOW);
    await new Promise((r) => setTimeout(r, 80));
    expect(await api(w.url, 'GET', '/v1/playbook', secret)).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
  });

  it('reports health and readiness', async () => {
    expect(await api(w.url, 'GET', '/healthz', null)).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await api(w.url, 'GET', '/readyz', null)).toMatchObject({
      status: 200,
      body: { status: 'ready', database: true, migrations: true },
    });
  });
});
