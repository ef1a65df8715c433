import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../src/server/auth/api-key.ts';
import { insertScores } from '../../helpers/scores.ts';
import { api, Browser } from './client.ts';
import { deal, NOW, scoreOf, startTestWeb, type Web } from './harness.ts';

/**
 * Tenant isolation as a matrix: every endpoint and page, called with tenant A's session and with
 * A's API key, asking for tenant B's data, answers 404 — or, for lists, contains none of B's data.
 */
describe('tenant isolation matrix', () => {
  let w: Web;
  let a: Browser;
  let aKey: string;
  const B = { tenant: 'hs-777', deal: 'B-SECRET-DEAL', model: 0, connection: '', key: '', user: '' };
  // What A could only know by seeing B's data (the ids A asks for may be echoed back to A).
  const MARKERS = ['B-SECRET-DEAL name', 'B-SECRET-DEAL raw', 'B-SECRET-key', 'hs-777', 'Org 777', 'bob-the-b-admin'];

  beforeAll(async () => {
    w = await startTestWeb();
    a = new Browser(w.url);
    expect((await a.oauth('salesforce', 'install', { org: 'ORGA', user: 'ada', name: 'Ada' })).status).toBe(303);
    const b = new Browser(w.url);
    expect((await b.oauth('hubspot', 'install', { org: '777', user: 'bob', name: 'bob-the-b-admin' })).status).toBe(303);
    for (const [tenant, id, source] of [
      ['sf-orga', 'A-DEAL', 'salesforce'],
      [B.tenant, B.deal, 'hubspot'],
    ] as const) {
      await w.t.store.deals.upsertMany(
        tenant,
        [{ deal: deal(tenant, { externalId: id, source, name: `${id} name`, amount: 90_000 }), raw: { dealname: `${id} raw` } }],
        NOW,
      );
      await insertScores(w.t.store, tenant, [scoreOf(id, 88, 'Critical', source)]);
    }
    // B's followed task: its owner's name is one of B's markers.
    await w.t.store.actionTasks.insert(B.tenant, [
      {
        taskKey: `hubspot:${B.deal}:multithread`,
        source: 'hubspot',
        externalId: B.deal,
        action: 'multithread',
        rule: 'single_threaded',
        taskId: '1',
        ownerId: 'bob',
        ownerName: 'bob-the-b-admin',
        recommendedAt: NOW,
        score: 88,
        category: 'Critical',
        segment: null,
      },
    ]);
    const m = await w.t.store.models.save(B.tenant, { status: 'ok', trainedAt: NOW, payload: {}, report: {} }, true);
    await w.t.store.models.save(B.tenant, { status: 'ok', trainedAt: NOW, payload: {}, report: {} }, true);
    B.model = m.id;
    B.connection = (await w.t.store.connections.list(B.tenant))[0]!.id;
    B.key = (
      await createApiKey(w.t.store, B.tenant, { name: 'B-SECRET-key', role: 'admin', ratePerMinute: 1000, createdBy: 'bob' }, NOW)
    ).key.id;
    B.user = (await w.t.store.users.list(B.tenant))[0]!.id;
    aKey = (await createApiKey(w.t.store, 'sf-orga', { name: 'a-admin', role: 'admin', ratePerMinute: 10_000, createdBy: 'ada' }, NOW))
      .secret;
  });
  afterAll(async () => w.close());

  const idRequests = () => [
    { name: 'GET /v1/deals/:id (bare CRM id)', api: ['GET', `/v1/deals/${B.deal}`] },
    { name: 'GET /v1/deals/:id (source-qualified)', api: ['GET', `/v1/deals/hubspot:${B.deal}`] },
    { name: 'page /deals/:id', page: ['GET', `/deals/hubspot:${encodeURIComponent(B.deal)}`] },
    { name: "rollback to B's model", page: ['POST', `/model/${B.model}/rollback`] },
    { name: "disconnect B's connection", page: ['POST', `/connections/${B.connection}/disconnect`] },
    { name: "re-authorize B's connection", page: ['GET', `/oauth/hubspot/start?purpose=install&connection=${B.connection}`] },
    { name: "revoke B's API key", page: ['POST', `/settings/keys/${B.key}/revoke`] },
    { name: "change the role of B's admin", page: ['POST', `/settings/people/${B.user}/role`] },
  ];

  it.each([0, 1, 2, 3, 4, 5, 6, 7])("answers 404 for B's record #%i, with A's session and with A's key", async (i) => {
    const r = idRequests()[i]!;
    if (r.api) {
      const [method, path] = r.api as [string, string];
      const viaKey = await api(w.url, method, path, aKey);
      expect(viaKey.status, `${r.name} via key`).toBe(404);
      expect(JSON.stringify(viaKey.body)).not.toMatch(/hs-777|bob/);
      const viaSession = await a.get(path, { accept: 'application/json' });
      expect(viaSession.status, `${r.name} via session`).toBe(404);
    } else {
      const [method, path] = r.page as [string, string];
      const res = method === 'GET' ? await a.get(path) : await a.post(path, { role: 'viewer' }, { csrfFrom: '/settings' });
      expect(res.status, r.name).toBe(404);
      const body = await res.text();
      for (const m of MARKERS) expect(body, r.name).not.toContain(m);
      // API keys never open pages or perform page actions.
      const viaKey = await api(w.url, method, path, aKey, method === 'POST' ? {} : undefined);
      expect([303, 401, 404], `${r.name} via key`).toContain(viaKey.status);
    }
    // Nothing of B's changed.
    expect((await w.t.store.models.active(B.tenant))?.id).not.toBe(B.model);
    expect((await w.t.store.connections.get(B.tenant, B.connection))?.status).toBe('active');
    expect((await w.t.store.apiKeys.get(B.tenant, B.key))?.revokedAt).toBeNull();
    expect((await w.t.store.users.get(B.tenant, B.user))?.role).toBe('admin');
  });

  const lists = [
    ['GET', '/v1/deals/high-risk?risk_category=Low,Medium,High,Critical'],
    ['GET', '/v1/pipeline/metrics'],
    ['GET', '/v1/models/performance'],
    ['GET', '/v1/sync/runs'],
    ['GET', '/v1/mappings?source=hubspot'],
    ['GET', '/v1/playbook'],
    ['GET', '/v1/digest'],
    ['GET', '/v1/actions/outcomes'],
    ['POST', '/v1/sync'],
    ['POST', '/v1/deals/score'],
  ] as const;

  it.each(lists)("%s %s with A's key or session shows only A's data", async (method, path) => {
    w.calls.length = 0;
    const body = method === 'POST' ? (path === '/v1/deals/score' ? { deal: { amount: 50_000 } } : {}) : undefined;
    const viaKey = await api(w.url, method, path, aKey, body);
    const csrf = await a.csrf('/');
    const viaSession = await a.request(method, path, {
      headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': csrf },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    for (const [who, status, text] of [
      ['key', viaKey.status, JSON.stringify(viaKey.body)],
      ['session', viaSession.status, await viaSession.text()],
    ] as const) {
      expect([200, 202, 404], `${path} via ${who}: ${text}`).toContain(status);
      for (const m of MARKERS) expect(text, `${path} via ${who}`).not.toContain(m);
    }
    for (const c of w.calls) expect(c.tenantId).toBe('sf-orga');
  });

  it.each([
    '/',
    '/deals?risk_category=Low&risk_category=Medium&risk_category=High&risk_category=Critical',
    '/diagnostics',
    '/model',
    '/sync',
    '/settings',
    '/settings?source=hubspot',
    '/audit',
    '/actions',
  ])('page %s shows A only', async (path) => {
    const res = await a.get(path);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const m of MARKERS) expect(text).not.toContain(m);
  });

  it("lists A's own deal where B's is hidden (the matrix is not vacuous)", async () => {
    const r = await api(w.url, 'GET', '/v1/deals/high-risk', aKey);
    expect(r.body.deals.map((d: { externalId: string }) => d.externalId)).toEqual(['A-DEAL']);
    expect((await api(w.url, 'GET', '/v1/deals/A-DEAL', aKey)).status).toBe(200);
    expect(await (await a.get('/deals')).text()).toContain('A-DEAL name');
  });
});
