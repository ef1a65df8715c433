import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../src/server/auth/api-key.ts';
import { api, Browser } from './client.ts';
import { NOW, startTestWeb, type Web } from './harness.ts';

/** The rows of an audit page: id, actor and action of each, in page order. */
function rows(page: string): Array<{ id: number; actor: string; action: string }> {
  return [...page.matchAll(/<tr data-id="(\d+)"[^>]*><td>[^<]*<\/td><td>([^<]*)<\/td><td><code>([^<]*)<\/code>/g)].map((m) => ({
    id: Number(m[1]),
    actor: m[2]!,
    action: m[3]!,
  }));
}
const older = (page: string): string | null => /<a href="([^"]+)" rel="next">Older/.exec(page)?.[1]?.replace(/&amp;/g, '&') ?? null;

describe('the audit page', () => {
  let w: Web;
  let admin: Browser;
  const T = 'sf-orgaud';

  beforeAll(async () => {
    w = await startTestWeb();
    admin = new Browser(w.url);
    await admin.oauth('salesforce', 'install', { org: 'ORGAUD', user: 'ada', name: 'Ada Admin' });
    expect((await admin.post('/settings/thresholds', { low: '20', medium: '45', high: '70' })).status).toBe(303);
    expect((await admin.post('/settings/keys', { name: 'reader', role: 'read', rate: '100000' })).status).toBe(201);
    const reader = (await createApiKey(w.t.store, T, { name: 'flood', role: 'read', ratePerMinute: 100_000, createdBy: 'test' }, NOW))
      .secret;
    // A read-only key makes more reads than the old page's 200 rows.
    for (let i = 0; i < 210; i++) expect((await api(w.url, 'GET', '/v1/deals/high-risk', reader)).status).toBe(200);
  });
  afterAll(async () => w.close());

  it('shows the admin actions by default, however many API-key reads came after them', async () => {
    const page = await (await admin.get('/audit')).text();
    const actions = rows(page).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['connection.installed', 'thresholds.updated', 'api_key.created']));
    expect(actions).not.toContain('api.request');
    expect(page).toContain('Include API-key reads');
  });

  it('shows API-key reads when asked, a page at a time, every entry exactly once', async () => {
    await admin.get('/audit'); // flushes the buffered API-key entries
    const total = (
      await w.t.store.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', T)
        .executeTakeFirstOrThrow()
    ).n;
    expect(Number(total)).toBeGreaterThanOrEqual(213);
    const seen: number[] = [];
    let url: string | null = '/audit?reads=1';
    let pages = 0;
    while (url) {
      const page = await (await admin.get(url)).text();
      const r = rows(page);
      expect(r.length).toBeLessThanOrEqual(100);
      seen.push(...r.map((x) => x.id));
      url = older(page);
      pages++;
    }
    expect(pages).toBe(Math.ceil(Number(total) / 100));
    expect(seen).toHaveLength(Number(total));
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('filters by action and by who, keeping the filter across pages', async () => {
    const created = rows(await (await admin.get('/audit?action=api_key.created')).text());
    expect(created.map((r) => r.action)).toEqual(['api_key.created']);
    const ada = rows(await (await admin.get('/audit?actor=ADA%20admin')).text());
    expect(ada.length).toBeGreaterThanOrEqual(3);
    expect(ada.every((r) => r.actor.startsWith('Ada Admin'))).toBe(true);
    const flood = await (await admin.get('/audit?actor=flood&reads=1')).text();
    expect(rows(flood)).toHaveLength(100);
    expect(rows(flood).every((r) => r.action === 'api.request' && r.actor.includes('flood'))).toBe(true);
    expect(older(flood)).toMatch(/^\/audit\?actor=flood&reads=1&before=\d+$/);
    const next = rows(await (await admin.get(older(flood)!)).text());
    expect(next).toHaveLength(100);
    expect(next[0]!.id).toBeLessThan(rows(flood).at(-1)!.id);
  });

  it('refuses a malformed page position with 400', async () => {
    for (const q of ['before=abc', 'before=-1', 'before=1e400', `action=${'x'.repeat(101)}`]) {
      expect((await admin.get(`/audit?${q}`)).status, q).toBe(400);
    }
  });
});
