import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScoringService } from '../../../src/scoring/service.ts';
import { scoringPort } from '../../../src/server/adapters/scoring.ts';
import { createApiKey } from '../../../src/server/auth/api-key.ts';
import { modelHealth } from '../../../src/sync/requests.ts';
import { api, Browser } from './client.ts';
import { NOW, startTestWeb, type Web } from './harness.ts';

/** Right after install, before the first sync: every page and endpoint works and says what comes next. */
describe('a workspace with no deals yet, on the real scoring service', () => {
  let w: Web;
  let b: Browser;
  let key: string;
  beforeAll(async () => {
    w = await startTestWeb({
      scoring: (t, now) => scoringPort(createScoringService({ store: t.store }), now, (id) => modelHealth({ store: t.store }, id)),
    });
    b = new Browser(w.url);
    await b.oauth('hubspot', 'install', { org: '4242', user: 'ann', name: 'Ann' });
    key = (await createApiKey(w.t.store, 'hs-4242', { name: 'k', role: 'read', ratePerMinute: 1000, createdBy: 't' }, NOW)).secret;
  });
  afterAll(async () => w.close());

  it.each(['/', '/deals', '/diagnostics', '/model', '/sync', '/settings', '/audit', '/actions'])('renders %s', async (path) => {
    const res = await b.get(path);
    expect(res.status).toBe(200);
    const text = await res.text();
    if (path === '/') expect(text).toContain('No scored deals yet');
    if (path === '/model') expect(text).toContain('No model yet');
    if (path === '/actions') expect(text).toContain('No playbook task has been followed yet');
  });

  it.each([
    '/v1/deals/high-risk',
    '/v1/pipeline/metrics',
    '/v1/models/performance',
    '/v1/playbook',
    '/v1/mappings',
    '/v1/actions/outcomes',
  ])('answers %s', async (path) => {
    const r = await api(w.url, 'GET', path, key);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });

  it('scores a deal with no history, saying so', async () => {
    const r = await api(w.url, 'POST', '/v1/deals/score', key, { deal: { amount: 20_000, createdAt: '2026-10-01T00:00:00Z' } });
    expect(r.status).toBe(200);
    expect(r.body.score.modelStatus).toBe('prior_only');
    expect(r.body.score.note).toBeTruthy();
  });
});
