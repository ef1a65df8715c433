import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultTransports, sendDueDeliveries } from '../../../src/worker/deliver.ts';
import { HOUR } from './helpers/context.ts';
import type { FileCrm } from './helpers/file-crm.ts';
import { type Harness, harness } from './helpers/harness.ts';
import { slackSink } from './helpers/slack-sink.ts';

const alertTasks = (crm: FileCrm) => Object.keys(crm.read().tasks).filter((k) => k.includes(':critical-alert:'));

describe('alerts on deals entering Critical', () => {
  let h: Harness;
  let crm: FileCrm;
  let slack: Awaited<ReturnType<typeof slackSink>>;
  beforeEach(async () => {
    slack = await slackSink();
    h = await harness({
      config: (c) => {
        c.alerts.slackWebhookUrl = slack.url;
      },
    });
    ({ crm } = await h.tenant('t1'));
  });
  afterEach(async () => {
    await h.close();
    await slack.close();
  });

  const deliver = () => sendDueDeliveries(h.ctx, h.config, defaultTransports(undefined));

  it('treats deals already Critical on the first sync as the baseline, not as news', async () => {
    crm.put({ Id: 'A', Risk: 90 });
    const r = await h.sync();
    expect(r.runs[0]!.counts.alerts).toBe(0);
    expect(await h.ctx.store.alerts.list('t1')).toEqual([]);
  });

  it('raises one alert when a deal enters Critical: a CRM task and a Slack message with score, drivers, first action and link', async () => {
    crm.put({ Id: 'A', Name: 'Acme renewal', Risk: 60, Amount: 120_000 }, { Id: 'B', Risk: 20 });
    await h.sync();
    h.clock.advance(HOUR);
    crm.put({ Id: 'A', Risk: 82 });
    const r = await h.sync();
    expect(r.runs[0]!.counts).toMatchObject({ alerts: 1 });
    expect(alertTasks(crm)).toEqual(['A:critical-alert:2026-11-24']);
    expect(crm.read().tasks['A:critical-alert:2026-11-24']!.subject).toBe('Deal at critical risk (82/100): Acme renewal');

    expect(await deliver()).toEqual({ sent: 1, failed: 0 });
    const text = JSON.stringify(slack.bodies[0]);
    expect(text).toContain('Acme renewal');
    expect(text).toContain('82/100');
    expect(text).toContain('Risk input is 82');
    expect(text).toContain('Executive sponsor call');
    expect(text).toContain('https://crm.example.test/deals/A');
  });

  it("gives the alert's amount in the deal's own currency and in the corporate one", async () => {
    const rates = { corporate: 'USD', kind: 'single' as const, rates: [{ code: 'EUR', toCorporate: 1.1, from: null, until: null }] };
    await h.ctx.store.currencyRates.save('t1', 'salesforce', rates, h.ctx.now());
    crm.put({ Id: 'A', Name: 'Euro deal', Risk: 60, Amount: 50_000, CurrencyIsoCode: 'EUR' });
    crm.put({ Id: 'B', Name: 'Franc deal', Risk: 60, Amount: 7_000, CurrencyIsoCode: 'CHF' });
    await h.sync();
    h.clock.advance(HOUR);
    crm.put({ Id: 'A', Risk: 82 }, { Id: 'B', Risk: 85 });
    await h.sync();
    const by = new Map((await h.ctx.store.alerts.list('t1')).map((a) => [a.externalId, a.payload]));
    expect(by.get('A')).toMatchObject({ amount: 50_000, currency: 'EUR', reporting: 'USD' });
    expect(by.get('A')!.converted).toBeCloseTo(55_000, 6);
    // No CHF rate: the franc amount alone, never a made-up dollar figure.
    expect(by.get('B')).toMatchObject({ amount: 7_000, currency: 'CHF', converted: null, reporting: 'USD' });
    expect(await deliver()).toEqual({ sent: 2, failed: 0 });
    const text = JSON.stringify(slack.bodies);
    expect(text).toContain('€50,000 (≈ $55,000)');
    expect(text).toMatch(/CHF\s7,000 \(no CHF rate\)/);
  });

  it('raises nothing for a deal that stays Critical', async () => {
    crm.put({ Id: 'A', Risk: 60 });
    await h.sync();
    h.clock.advance(HOUR);
    crm.put({ Id: 'A', Risk: 80 });
    await h.sync();
    h.clock.advance(HOUR);
    crm.put({ Id: 'A', Risk: 95, Amount: 99 });
    const r = await h.sync();
    expect(r.runs[0]!.counts).toMatchObject({ scored: 1, alerts: 0 });
    expect(await h.ctx.store.alerts.list('t1')).toHaveLength(1);
  });

  it('alerts at most once per deal per 24 hours, however often it re-enters', async () => {
    crm.put({ Id: 'A', Risk: 60 });
    await h.sync();
    for (const risk of [80, 60, 85, 60]) {
      h.clock.advance(HOUR);
      crm.put({ Id: 'A', Risk: risk });
      await h.sync();
    }
    expect(await h.ctx.store.alerts.list('t1')).toHaveLength(1);
    h.clock.advance(24 * HOUR);
    crm.put({ Id: 'A', Risk: 90 });
    const r = await h.sync();
    expect(r.runs[0]!.counts.alerts).toBe(1);
    expect(alertTasks(crm)).toEqual(['A:critical-alert:2026-11-24', 'A:critical-alert:2026-11-25']);
  });

  it('alerts for a new deal that arrives Critical after the first sync', async () => {
    crm.put({ Id: 'A', Risk: 30 });
    await h.sync();
    h.clock.advance(HOUR);
    crm.put({ Id: 'NEW', Risk: 88 });
    expect((await h.sync()).runs[0]!.counts.alerts).toBe(1);
  });

  it('holds Slack messages during quiet hours and sends them when they end', async () => {
    await h.ctx.store.tenants.updateSettings('t1', {
      sync: { alerts: { quietHours: { start: '20:00', end: '08:00' }, timezone: 'Europe/Paris' } },
    });
    h.clock.set('2026-11-24T21:30:00Z'); // 22:30 in Paris
    crm.put({ Id: 'A', Risk: 60 });
    await h.sync();
    h.clock.advance(HOUR);
    crm.put({ Id: 'A', Risk: 90 });
    await h.sync();
    expect(alertTasks(crm)).toHaveLength(1); // the CRM task is not a notification: it goes at once
    expect(await deliver()).toEqual({ sent: 0, failed: 0 });
    h.clock.set('2026-11-25T07:00:00Z'); // 08:00 in Paris
    expect(await deliver()).toEqual({ sent: 1, failed: 0 });
  });

  it('posts each alert once when two workers send deliveries at the same time', async () => {
    crm.put({ Id: 'A', Risk: 60 }, { Id: 'B', Risk: 60 });
    await h.sync();
    h.clock.advance(HOUR);
    crm.put({ Id: 'A', Risk: 90 }, { Id: 'B', Risk: 95 });
    await h.sync();
    const results = await Promise.all([deliver(), deliver()]);
    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(2);
    expect(slack.bodies).toHaveLength(2);
    expect(await deliver()).toEqual({ sent: 0, failed: 0 });
  });

  it('records a delivery whose stored message does not parse as dead, naming its row and field, and sends the others', async () => {
    crm.put({ Id: 'A', Risk: 60 }, { Id: 'B', Risk: 60 });
    await h.sync();
    h.clock.advance(HOUR);
    crm.put({ Id: 'A', Risk: 90 }, { Id: 'B', Risk: 95 });
    await h.sync();
    const bad = (await h.ctx.store.deliveries.list('t1')).find((d) => d.payload.externalId === 'A')!;
    await sql`update deliveries set payload = payload - 'drivers' where id = ${bad.id}`.execute(h.t.store.db);
    expect(await deliver()).toEqual({ sent: 1, failed: 1 });
    expect(slack.bodies).toHaveLength(1);
    expect((await h.ctx.store.deliveries.list('t1')).find((d) => d.id === bad.id)).toMatchObject({
      status: 'dead',
      attempts: 1,
      lastError: `deliveries row ${bad.id} holds malformed JSON: payload.drivers: Invalid input: expected array, received undefined`,
    });
    h.clock.advance(24 * HOUR);
    expect(await deliver()).toEqual({ sent: 0, failed: 0 });
  });

  it('retries a failed Slack delivery and records the failure, without holding up the sync', async () => {
    crm.put({ Id: 'A', Risk: 60 });
    await h.sync();
    h.clock.advance(HOUR);
    crm.put({ Id: 'A', Risk: 90 });
    slack.failNext(500);
    expect((await h.sync()).runs[0]!.status).toBe('succeeded');
    expect(await deliver()).toEqual({ sent: 0, failed: 1 });
    const [d] = await h.ctx.store.deliveries.list('t1');
    expect(d).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('Slack answered 500') });
    expect(await deliver()).toEqual({ sent: 0, failed: 0 }); // waits its backoff
    h.clock.advance(2 * 60_000);
    expect(await deliver()).toEqual({ sent: 1, failed: 0 });
    expect(slack.bodies).toHaveLength(1);
  });
});
