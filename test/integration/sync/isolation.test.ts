import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toAppError as hubspotError } from '../../../connectors/hubspot/to-app-error.ts';
import { syncAllTenants } from '../../../src/sync/sync-tenant.ts';
import { DAY, HOUR } from './helpers/context.ts';
import { CRM_MAPPING } from './helpers/file-crm.ts';
import { type Harness, harness } from './helpers/harness.ts';

describe('per-tenant failures', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
    h.clock.set('2026-11-24T10:00:00Z');
  });
  afterEach(async () => h.close());

  const all = () => syncAllTenants(h.deps, { base: h.config, trigger: 'test' });

  it('marks a revoked connection for re-authorization and stops syncing it, while other tenants go on', async () => {
    const ok = await h.tenant('ok');
    const revoked = await h.tenant('revoked');
    ok.crm.put({ Id: 'A' });
    revoked.crm.put({ Id: 'R' });
    revoked.crm.fault({ op: 'fetch', error: { code: 'crm_auth_revoked', message: 'invalid_grant: expired access/refresh token' } });

    const [a, b] = await all();
    expect(a!.runs[0]).toMatchObject({ tenantId: 'ok', status: 'succeeded' });
    expect(b!.runs[0]).toMatchObject({
      tenantId: 'revoked',
      status: 'failed',
      errors: [expect.objectContaining({ step: 'fetch', code: 'crm_auth_revoked' })],
    });
    expect(await h.ctx.store.connections.get('revoked', revoked.connection.id)).toMatchObject({
      status: 'needs_reauth',
      statusReason: expect.stringContaining('invalid_grant'),
    });

    h.clock.advance(HOUR);
    const [, again] = await all();
    expect(again!.runs).toEqual([]);
    expect(again!.skipped).toEqual([{ connectionId: revoked.connection.id, reason: expect.stringContaining('needs re-authorization') }]);
    expect(revoked.crm.read().calls.fetch).toBe(1);
  });

  it('pauses a tenant whose daily quota is spent until the next window, then resumes', async () => {
    const ok = await h.tenant('ok');
    const quota = await h.tenant('quota');
    ok.crm.put({ Id: 'A' });
    quota.crm.put({ Id: 'Q' });
    // What HubSpot's connector throws on the DAILY 429: the pause ends at the portal's midnight.
    const body = { errorType: 'RATE_LIMIT', policyName: 'DAILY', message: 'You have reached your daily limit.' };
    const daily = hubspotError(429, body, {}, { now: h.clock.now() });
    quota.crm.fault({ op: 'fetch', error: { code: daily.code, message: daily.message, details: daily.details } });

    const [a, q] = await all();
    expect(a!.runs[0]!.status).toBe('succeeded');
    expect(q!.runs[0]).toMatchObject({ status: 'paused' });
    expect(await h.ctx.store.connections.get('quota', quota.connection.id)).toMatchObject({
      status: 'paused',
      pausedUntil: new Date('2026-11-25T00:00:00Z'),
    });

    h.clock.advance(HOUR);
    expect((await all())[1]!.skipped[0]!.reason).toMatch(/paused until 2026-11-25T00:00:00/);

    h.clock.set('2026-11-25T00:30:00Z');
    const [, resumed] = await all();
    expect(resumed!.runs[0]).toMatchObject({ status: 'succeeded', counts: expect.objectContaining({ scored: 1, written: 1 }) });
    expect(await h.ctx.store.connections.get('quota', quota.connection.id)).toMatchObject({ status: 'active', pausedUntil: null });
  });

  it('honours the wait a rate-limited CRM asks for', async () => {
    const t = await h.tenant('t1');
    t.crm.put({ Id: 'A' });
    t.crm.fault({
      op: 'write',
      error: {
        code: 'crm_quota_exhausted',
        message: 'REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.',
        details: { retryAfterMs: 2 * HOUR },
      },
    });
    const r = await h.sync();
    expect(r.runs[0]).toMatchObject({
      status: 'paused',
      errors: [expect.objectContaining({ step: 'write-back', code: 'crm_quota_exhausted' })],
    });
    expect((await h.ctx.store.connections.get('t1', t.connection.id))!.pausedUntil).toEqual(new Date(h.clock.now().getTime() + 2 * HOUR));
    // The write stayed queued: it goes out once the pause is over.
    h.clock.advance(2 * HOUR + 1);
    await h.sync();
    expect(t.crm.read().writes.map((w) => w.id)).toEqual(['A']);
  });

  it('fails only the tenant whose mapping is broken, naming the key', async () => {
    const ok = await h.tenant('ok');
    const broken = await h.tenant('broken');
    ok.crm.put({ Id: 'A' });
    broken.crm.put({ Id: 'B' });
    await h.ctx.store.mappings.put(
      'broken',
      'salesforce',
      { ...CRM_MAPPING, fields: { ...CRM_MAPPING.fields, amount: { from: 'Amount', type: 'money' } } } as never,
      'admin',
      h.clock.now(),
    );

    const [b, a] = await all(); // tenants run in id order: broken, ok
    expect(a!.runs[0]).toMatchObject({ tenantId: 'ok', status: 'succeeded' });
    expect(b!.runs[0]).toMatchObject({
      tenantId: 'broken',
      status: 'failed',
      errors: [
        expect.objectContaining({ step: 'connect', code: 'mapping_invalid', message: expect.stringMatching(/fields\.amount\.type/) }),
      ],
    });
    // Nothing else is lost: the connection stays active and syncs once the mapping is fixed.
    expect((await h.ctx.store.connections.get('broken', broken.connection.id))!.status).toBe('active');
    await h.ctx.store.mappings.remove('broken', 'salesforce');
    h.clock.advance(HOUR);
    expect((await all())[0]!.runs[0]).toMatchObject({
      tenantId: 'broken',
      status: 'succeeded',
      counts: expect.objectContaining({ scored: 1 }),
    });
  });

  it('skips a tenant another worker is syncing', async () => {
    const t = await h.tenant('t1');
    t.crm.put({ Id: 'A' });
    expect(await h.ctx.store.tenantSync.claimLease('t1', 'other-worker', DAY)).toBe(true);
    expect(await h.sync()).toMatchObject({ status: 'busy', runs: [] });
    expect(t.crm.read().calls.fetch).toBe(0);
  });
});
