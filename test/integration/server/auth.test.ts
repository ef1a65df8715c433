import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, Browser } from './client.ts';
import { startTestWeb, type Web } from './harness.ts';

describe('install, sign-in, roles and sessions', () => {
  let w: Web;
  beforeAll(async () => {
    w = await startTestWeb();
  });
  afterAll(async () => w.close());

  it('installs an org: the connection stores sealed tokens, the installer is its first admin and lands on the overview', async () => {
    const b = new Browser(w.url);
    const res = await b.oauth('salesforce', 'install', { org: 'ORGA', user: 'ada', name: 'Ada Admin' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/\?done=/);
    const conn = (await w.t.store.connections.list('sf-orga'))[0]!;
    expect(conn).toMatchObject({ crm: 'salesforce', accountId: 'ORGA', status: 'active', instanceUrl: 'https://ORGA.crm.test' });
    expect(await w.t.store.connections.loadCredentials('sf-orga', conn.id)).toMatchObject({ accessToken: 'AT-ada' });
    const raw = await w.t.store.db.selectFrom('connections').select('credentials').where('id', '=', conn.id).executeTakeFirstOrThrow();
    expect(raw.credentials).not.toContain('AT-ada');
    expect((await w.t.store.users.list('sf-orga')).map((u) => [u.name, u.role])).toEqual([['Ada Admin', 'admin']]);
    const overview = await b.get('/');
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain('Ada Admin');
    expect(w.calls).toContainEqual({ op: 'requestSync', tenantId: 'sf-orga' });
  });

  it('signs a colleague of the same org in as a viewer, who can read but not change settings', async () => {
    const b = new Browser(w.url);
    const res = await b.oauth('salesforce', 'signin', { org: 'ORGA', user: 'vic', name: 'Vic Viewer' });
    expect(res.status).toBe(303);
    expect((await w.t.store.users.findByIdentity('sf-orga', 'salesforce', 'vic'))?.role).toBe('viewer');
    const settings = await (await b.get('/settings')).text();
    expect(settings).not.toContain('Create key');
    const denied = await b.post('/settings/thresholds', { low: '20', medium: '40', high: '70' }, { csrfFrom: '/' });
    expect(denied.status).toBe(403);
  });

  it('refuses sign-in from an org that is not installed', async () => {
    const res = await new Browser(w.url).oauth('hubspot', 'signin', { org: '999', user: 'x' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('not connected to dealrisk yet');
  });

  it('does not let a non-admin of an installed org take it over by installing again', async () => {
    const res = await new Browser(w.url).oauth('salesforce', 'install', { org: 'ORGA', user: 'mallory' });
    expect(res.status).toBe(403);
    expect(await w.t.store.users.findByIdentity('sf-orga', 'salesforce', 'mallory')).toBeNull();
    const conn = (await w.t.store.connections.list('sf-orga'))[0]!;
    expect(await w.t.store.connections.loadCredentials('sf-orga', conn.id)).toMatchObject({ accessToken: 'AT-ada' });
  });

  it('rejects a state used twice, from another browser, or never issued', async () => {
    const b = new Browser(w.url);
    const start = await b.get('/oauth/salesforce/start?purpose=signin');
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const cb = `/oauth/salesforce/callback?state=${encodeURIComponent(state)}&code=${encodeURIComponent('org:ORGA|user:ada')}`;
    const other = new Browser(w.url);
    const wrong = await other.get(cb);
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('started in another browser');
    expect(await b.get(cb.replace('/salesforce/', '/hubspot/'))).toHaveProperty('status', 400);
    expect((await b.get('/oauth/salesforce/callback?state=forged&code=x')).status).toBe(400);
    // Neither the other browser nor the wrong CRM's callback used the state up: its own browser signs in...
    expect((await b.get(cb)).status).toBe(303);
    expect(b.cookies.has('dr_session')).toBe(true);
    // ...once.
    const again = await b.get(cb);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('expired or was already used');
  });

  it('issues httpOnly SameSite session cookies and signs out', async () => {
    const b = new Browser(w.url);
    const start = await b.get('/oauth/salesforce/start?purpose=signin');
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const res = await fetch(
      `${w.url}/oauth/salesforce/callback?state=${encodeURIComponent(state)}&code=${encodeURIComponent('org:ORGA|user:ada')}`,
      {
        redirect: 'manual',
        headers: { cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      },
    );
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('dr_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    b.cookies.set('dr_session', cookie.split(';')[0]!.split('=')[1]!);
    expect((await b.get('/')).status).toBe(200);
    const out = await b.post('/signout', {}, { csrfFrom: '/' });
    expect(out.status).toBe(303);
    expect((await b.get('/')).status).toBe(303);
  });

  it('refuses a form without the CSRF token', async () => {
    const b = new Browser(w.url);
    await b.oauth('salesforce', 'signin', { org: 'ORGA', user: 'ada' });
    const res = await b.post('/sync/now', {}, { noCsrf: true });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('did not come from this site');
  });

  it('sends security headers and no secrets in pages', async () => {
    const b = new Browser(w.url);
    await b.oauth('salesforce', 'signin', { org: 'ORGA', user: 'ada' });
    const res = await b.get('/sync');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const page = await res.text();
    expect(page).not.toContain('AT-ada');
    expect(page).not.toContain('RT-ada');
  });

  // Starts a second web app on a store of its own in the test (PGlite: 10-26 s on a busy 2-core machine).
  it('rate-limits OAuth starts per address', { timeout: 90_000 }, async () => {
    const limited = await startTestWeb({ loginPerMinute: 3 });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await new Browser(limited.url).get('/oauth/hubspot/start?purpose=signin')).status);
      expect(statuses.slice(0, 3)).toEqual([303, 303, 303]);
      expect(statuses[3]).toBe(429);
      const r = await api(limited.url, 'GET', '/oauth/hubspot/start?purpose=signin', null);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
