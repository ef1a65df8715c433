import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../../config/env.ts';
import { silentLogger } from '../../../src/log.ts';
import { createApiKey } from '../../../src/server/auth/api-key.ts';
import { startWeb } from '../../../src/server/index.ts';
import { openStore } from '../../../src/store/index.ts';
import { api, Browser } from './client.ts';
import { NOW, startTestWeb, type Web } from './harness.ts';

describe('admin actions on the pages', () => {
  let w: Web;
  let admin: Browser;
  const T = 'sf-orgp';

  beforeAll(async () => {
    w = await startTestWeb();
    admin = new Browser(w.url);
    await admin.oauth('salesforce', 'install', { org: 'ORGP', user: 'ada', name: 'Ada Admin' });
  });
  afterAll(async () => w.close());

  it('saves thresholds, refusing an order that makes no sense', async () => {
    const bad = await admin.post('/settings/thresholds', { low: '60', medium: '40', high: '70' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('must satisfy low &lt; medium &lt; high');
    const ok = await admin.post('/settings/thresholds', { low: '20', medium: '45', high: '70' });
    expect(ok.status).toBe(303);
    // A form without a mode posts score bounds: fixed ones.
    expect((await w.t.store.tenants.get(T))?.settings.scoring).toEqual({ thresholds: { mode: 'fixed', low: 20, medium: 45, high: 70 } });
    expect(await (await admin.get('/settings')).text()).toContain(
      'Fixed thresholds give risk scores Low 0–20, Medium 21–45, High 46–70, Critical 71–100.',
    );
  });

  it("saves the fiscal year the forecast's quarters follow, refusing a month that is not one", async () => {
    for (const bad of ['13', '0', 'March', '']) {
      const r = await admin.post('/settings/forecast', { fiscalYearStartMonth: bad });
      expect({ bad, status: r.status }).toEqual({ bad, status: 400 });
      expect(await r.text()).toMatch(/id="forecast-errors"[\s\S]*settings\.forecast: fiscalYearStartMonth/);
    }
    expect((await w.t.store.tenants.get(T))?.settings.forecast).toBeUndefined();
    expect((await admin.post('/settings/forecast', { fiscalYearStartMonth: '2' })).status).toBe(303);
    expect((await w.t.store.tenants.get(T))?.settings.forecast).toEqual({ fiscalYearStartMonth: 2 });
    expect(await (await admin.get('/settings')).text()).toContain('<option value="2" selected>February</option>');
    // 24 November 2026 is in the fourth quarter of the fiscal year that began in February 2026.
    const key = (await createApiKey(w.t.store, T, { name: 'fy', role: 'read', ratePerMinute: 100, createdBy: 'test' }, NOW)).secret;
    const f = (await api(w.url, 'GET', '/v1/forecast/reconciliation', key)).body;
    expect(f.fiscalYearStartMonth).toBe(2);
    expect(f.quarters.map((q: { quarter: string }) => q.quarter)).toEqual(['FY2027-Q4', 'FY2028-Q1']);
  });

  it('saves relative thresholds, shows the score ranges they give, and marks every score for rescoring', async () => {
    const bad = await admin.post('/settings/thresholds', { mode: 'relative', rLow: '2', rMedium: '1.5', rHigh: '3' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('thresholds.relative: must satisfy low &lt; medium &lt; high');
    const ok = await admin.post('/settings/thresholds', {
      mode: 'relative',
      rLow: '0.5',
      rMedium: '1.5',
      rHigh: '4',
      low: '20',
      medium: '45',
      high: '70',
    });
    expect(ok.status).toBe(303);
    const settings = (await w.t.store.tenants.get(T))!.settings;
    expect(settings.scoring).toEqual({
      thresholds: { mode: 'relative', low: 20, medium: 45, high: 70, relative: { low: 0.5, medium: 1.5, high: 4 } },
    });
    expect(settings.scoringChangedAt).toBe(NOW.toISOString());
    // No model yet: the ranges follow the no-history rate (50% lost): 4× the odds is 80%.
    const page = await (await admin.get('/settings')).text();
    expect(page).toContain('No model yet, so no base rate');
    expect(page).toContain('Relative thresholds give risk scores Low 0–33, Medium 34–60, High 61–80, Critical 81–100.');
    expect(page).toMatch(/id="t-mode-relative"[^>]* checked/);
  });

  it("saves alert and digest settings through the sync engine's validation, keeping the Slack URL out of the page", async () => {
    const bad = await admin.post('/settings/alerts', {
      threshold: '80',
      quietStart: '25:00',
      quietEnd: '07:00',
      digestTime: '08:00',
      timezone: 'UTC',
      adminEmails: '',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('alerts.quietHours.start');
    const slack = 'https://hooks.slack.com/services/T000/B000/SECRETsecret';
    const ok = await admin.post('/settings/alerts', {
      threshold: '80',
      slackWebhookUrl: slack,
      quietStart: '20:00',
      quietEnd: '07:00',
      digestTime: '07:30',
      timezone: 'Europe/Paris',
      adminEmails: 'boss@example.com',
    });
    expect(ok.status).toBe(303);
    const sync = (await w.t.store.tenants.get(T))?.settings.sync as any;
    expect(sync.alerts).toMatchObject({
      threshold: 80,
      slackWebhookUrl: slack,
      quietHours: { start: '20:00', end: '07:00' },
      timezone: 'Europe/Paris',
    });
    expect(sync.digest).toMatchObject({ localTime: '07:30', adminEmails: ['boss@example.com'] });
    expect(await (await admin.get('/settings')).text()).not.toContain('SECRETsecret');
  });

  it('rolls the model back to an earlier version', async () => {
    const v1 = await w.t.store.models.save(T, { status: 'ok', trainedAt: NOW, payload: {}, report: {} }, true);
    await w.t.store.models.save(T, { status: 'ok', trainedAt: NOW, payload: {}, report: {} }, true);
    const page = await (await admin.get('/model')).text();
    expect(page).toContain(`/model/${v1.id}/rollback`);
    const res = await admin.post(`/model/${v1.id}/rollback`, {}, { csrfFrom: '/model' });
    expect(res.status).toBe(303);
    expect((await w.t.store.models.active(T))?.id).toBe(v1.id);
  });

  it('keeps at least one admin and signs a person out when their role changes', async () => {
    const [ada] = await w.t.store.users.list(T);
    const last = await admin.post(`/settings/people/${ada!.id}/role`, { role: 'viewer' });
    expect(last.headers.get('location')).toContain('failed=');
    expect((await w.t.store.users.get(T, ada!.id))?.role).toBe('admin');
    const vic = new Browser(w.url);
    await vic.oauth('salesforce', 'signin', { org: 'ORGP', user: 'vic', name: 'Vic' });
    const vicUser = (await w.t.store.users.findByIdentity(T, 'salesforce', 'vic'))!;
    expect((await admin.post(`/settings/people/${vicUser.id}/role`, { role: 'admin' })).status).toBe(303);
    expect((await vic.get('/')).status).toBe(303);
    await vic.oauth('salesforce', 'signin', { org: 'ORGP', user: 'vic' });
    expect(await (await vic.get('/settings')).text()).toContain('Create key');
  });

  it('disconnects a connection: tokens revoked at the CRM and deleted here, deals kept', async () => {
    const [c] = await w.t.store.connections.list(T);
    const res = await admin.post(`/connections/${c!.id}/disconnect`, {}, { csrfFrom: '/sync' });
    expect(res.status).toBe(303);
    expect(w.oauth.salesforce.revoked).toContain('AT-ada');
    expect(await w.t.store.connections.get(T, c!.id)).toMatchObject({ status: 'disconnected', hasCredentials: false });
  });

  it('shows admins the audit log of what happened', async () => {
    const page = await (await admin.get('/audit')).text();
    for (const action of [
      'connection.installed',
      'thresholds.updated',
      'alerts.updated',
      'model.rolled_back',
      'user.role_changed',
      'connection.disconnected',
    ]) {
      expect(page).toContain(action);
    }
  });
});

describe('start-up', () => {
  it('is alive but not ready while migrations are pending', { timeout: 90_000 }, async () => {
    const store = await openStore({ encryptionKey: Buffer.alloc(32), migrate: false });
    const env = parseEnv({ NODE_ENV: 'test', SESSION_SECRET: 's'.repeat(32) });
    const web = await startWeb(
      { env, logger: silentLogger(), store, now: () => NOW, close: async () => undefined },
      { scoring: null as never, sync: null as never, oauth: {} },
      { host: '127.0.0.1', port: 0 },
    );
    try {
      expect((await fetch(`${web.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${web.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not_ready', database: true, migrations: false });
    } finally {
      await web.close();
      await store.close();
    }
  });

  it('refuses to start in production without an https APP_URL', async () => {
    const base = { NODE_ENV: 'development', SESSION_SECRET: 's'.repeat(32), ENCRYPTION_KEY: 'a'.repeat(64) };
    const env = { ...parseEnv(base), NODE_ENV: 'production' as const, APP_URL: 'http://example.com' };
    const ctx = { env, logger: silentLogger(), store: null as never, now: () => NOW, close: async () => undefined };
    await expect(startWeb(ctx, { scoring: null as never, sync: null as never, oauth: {} }, { port: 0 })).rejects.toThrow(
      /APP_URL must be an https URL/,
    );
    await expect(
      startWeb(
        { ...ctx, env: { ...env, APP_URL: 'https://x.example', SESSION_SECRET: undefined } },
        { scoring: null as never, sync: null as never, oauth: {} },
        { port: 0 },
      ),
    ).rejects.toThrow(/SESSION_SECRET is required/);
  });
});
