import { describe, expect, it } from 'vitest';
import { toAppError as hubspotError } from '../../../connectors/hubspot/to-app-error.ts';
import { AppError } from '../../../src/core/errors.ts';
import { loadSyncConfig, parseSyncConfig, tenantSyncConfig } from '../../../src/sync/config.ts';
import { handleSyncError } from '../../../src/sync/handle-sync-error.ts';
import { afterQuietHours, reachedLocalTime } from '../../../src/sync/local-time.ts';
import { assertCron, jitterMs, previousSlot } from '../../../src/worker/schedule.ts';

const now = new Date('2026-11-24T10:20:00Z');

describe('what a failed run means for its connection', () => {
  it('sends a revoked token to re-authorization', () => {
    expect(handleSyncError(new AppError('crm_auth_revoked', 'invalid_grant'), 'fetch', now)).toMatchObject({
      status: 'failed',
      connection: { status: 'needs_reauth', statusReason: 'invalid_grant' },
      error: { step: 'fetch', code: 'crm_auth_revoked' },
    });
  });
  it('pauses a spent daily quota until the next UTC midnight, or as long as the CRM asked', () => {
    // HubSpot's DAILY 429 (CRM-APIS B8): its connector says when the portal's day ends.
    const daily = hubspotError(429, { errorType: 'RATE_LIMIT', policyName: 'DAILY', message: 'daily' }, {}, { now });
    expect(handleSyncError(daily, 'fetch', now).connection).toMatchObject({
      status: 'paused',
      pausedUntil: new Date('2026-11-25T00:00:00Z'),
    });
    expect(
      handleSyncError(new AppError('crm_quota_exhausted', 'budget', { retryAfterMs: 60_000 }), 'fetch', now).connection!.pausedUntil,
    ).toEqual(new Date('2026-11-24T10:21:00Z'));
    expect(
      handleSyncError(new AppError('crm_quota_exhausted', 'budget', { pausedUntil: new Date('2026-11-24T15:00:00Z') }), 'fetch', now)
        .connection!.pausedUntil,
    ).toEqual(new Date('2026-11-24T15:00:00Z'));
    expect(handleSyncError(new AppError('crm_rate_limited', 'burst'), 'fetch', now).connection!.pausedUntil).toEqual(
      new Date('2026-11-24T11:20:00Z'),
    );
  });
  it('fails a run for a broken mapping or anything unexpected without touching the connection', () => {
    expect(handleSyncError(new AppError('mapping_invalid', 'x: bad'), 'connect', now)).toMatchObject({
      status: 'failed',
      connection: null,
    });
    expect(handleSyncError(new TypeError('boom'), 'score', now)).toMatchObject({
      status: 'failed',
      connection: null,
      error: { code: 'internal', message: 'boom' },
    });
  });
});

describe('local time', () => {
  const quiet = { start: '20:00', end: '08:00' };
  it("holds messages inside quiet hours that wrap midnight, in the tenant's zone", () => {
    expect(afterQuietHours(new Date('2026-11-24T21:30:00Z'), quiet, 'Europe/Paris')).toEqual(new Date('2026-11-25T07:00:00Z'));
    expect(afterQuietHours(new Date('2026-11-24T06:30:00Z'), quiet, 'Europe/Paris')).toEqual(new Date('2026-11-24T07:00:00Z'));
    expect(afterQuietHours(new Date('2026-11-24T12:00:00Z'), quiet, 'Europe/Paris')).toEqual(new Date('2026-11-24T12:00:00Z'));
    expect(afterQuietHours(new Date('2026-11-24T12:00:00Z'), { start: '12:00', end: '13:30' }, 'UTC')).toEqual(
      new Date('2026-11-24T13:30:00Z'),
    );
    expect(afterQuietHours(new Date('2026-11-24T21:30:00Z'), null, 'UTC')).toEqual(new Date('2026-11-24T21:30:00Z'));
  });
  it("knows when the digest time has come in the tenant's day", () => {
    expect(reachedLocalTime(new Date('2026-11-24T23:30:00Z'), '08:00', 'Asia/Tokyo')).toEqual({ reached: true, date: '2026-11-25' });
    expect(reachedLocalTime(new Date('2026-11-24T22:30:00Z'), '08:00', 'Asia/Tokyo')).toEqual({ reached: false, date: '2026-11-25' });
  });
});

describe('the schedule', () => {
  it('finds the slot a missed run belongs to', () => {
    expect(previousSlot('0 * * * *', now, 'UTC')).toEqual(new Date('2026-11-24T10:00:00Z'));
    expect(previousSlot('30 8 * * *', now, 'Europe/Paris')).toEqual(new Date('2026-11-24T07:30:00Z'));
    expect(previousSlot('0 0 1 1 *', now, 'UTC', 2)).toBeNull();
  });
  it('spreads tenants over the jitter window, the same offset every time', () => {
    const offsets = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((t) => jitterMs(t, 600));
    expect(offsets.every((o) => o >= 0 && o < 600_000)).toBe(true);
    expect(new Set(offsets).size).toBe(8);
    expect(jitterMs('a', 600)).toBe(offsets[0]);
    expect(jitterMs('a', 0)).toBe(0);
  });
  it('stops start-up on a bad cron expression, naming the key', () => {
    expect(() => assertCron('every hour')).toThrow(/schedule\.cron: "every hour" is not a cron expression/);
  });
});

describe('config/sync.yaml and tenant overrides', () => {
  const base = loadSyncConfig();
  it('loads the shipped file', () => {
    expect(base.schedule.cron).toBe('0 * * * *');
    expect(base.retention).toEqual({ closedDealDays: 730, scoreHistoryDays: 365, runRecordDays: 365, outboxDays: 90 });
  });
  it("lets a tenant override its own settings key by key, with the deployment's Slack webhook as default", () => {
    const c = tenantSyncConfig(
      base,
      { id: 't1', settings: { sync: { alerts: { threshold: 80 } } } },
      { slackWebhookUrl: 'https://hooks.slack.com/services/T/B/X' },
    );
    expect(c.alerts).toMatchObject({ threshold: 80, suppressHours: 24, slackWebhookUrl: 'https://hooks.slack.com/services/T/B/X' });
  });
  it('names the tenant and key of a bad override, and refuses worker-wide keys', () => {
    expect(() => tenantSyncConfig(base, { id: 't1', settings: { sync: { alerts: { threshold: 120 } } } })).toThrow(
      /tenant t1 settings\.sync: alerts\.threshold/,
    );
    expect(() => tenantSyncConfig(base, { id: 't1', settings: { sync: { schedule: { cron: '* * * * *' } } } })).toThrow(
      /settings\.sync\.schedule: not a tenant setting/,
    );
  });
  it('names the key of a bad config document', () => {
    expect(() => parseSyncConfig({ ...base, digest: { ...base.digest, localTime: '25:00' } }, 'config/sync.yaml')).toThrow(
      /config\/sync\.yaml: digest\.localTime: expected HH:MM/,
    );
  });
});
