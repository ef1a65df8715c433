import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../../../config/env.ts';
import type { AppContext } from '../../../src/context.ts';
import { silentLogger } from '../../../src/log.ts';
import { createScoringService } from '../../../src/scoring/service.ts';
import { createWebDeps } from '../../../src/server/index.ts';
import { openStore } from '../../../src/store/index.ts';
import { loadSyncConfig } from '../../../src/sync/config.ts';
import { purgeDue } from '../../../src/worker/purge.ts';
import { createTestStore, onPostgres, TEST_KEY, type TestStore } from '../../helpers/store.ts';
import { deal, NOW } from './harness.ts';

const SECRET = 'hubspot-client-secret';
const URL_ = 'https://dealrisk.example.com/integrations/hubspot/webhook';
const HOUR = 3_600_000;

/** One web process: its own deps (and, before this fix, its own memory of events) over the shared store. */
function webProcess(t: TestStore, wall: () => Date) {
  const env = parseEnv({
    NODE_ENV: 'test',
    SESSION_SECRET: 's'.repeat(32),
    HUBSPOT_CLIENT_SECRET: SECRET,
    DATA_DIR: '/tmp/dealrisk-test-unused',
  });
  const ctx: AppContext = { env, logger: silentLogger(), store: t.store, now: () => NOW, close: async () => undefined };
  const deps = createWebDeps(ctx, { scoring: createScoringService({ store: t.store }), oauth: {}, wallClock: wall });
  return {
    ctx,
    post(events: unknown[]) {
      const body = JSON.stringify(events);
      const at = String(wall().getTime());
      const sig = createHmac('sha256', SECRET).update(`POST${URL_}${body}${at}`).digest('base64');
      return deps.hubspot!.webhook!({
        method: 'POST',
        url: URL_,
        headers: { 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': at },
        body: Buffer.from(body),
      });
    },
  };
}

const event = (eventId: number, objectId: number, over: Record<string, unknown> = {}) => ({
  eventId,
  subscriptionId: 1,
  portalId: 111,
  appId: 1,
  occurredAt: 1764000000000,
  subscriptionType: 'deal.propertyChange',
  attemptNumber: 0,
  objectId,
  ...over,
});

describe('HubSpot webhook de-duplication in the database', () => {
  let t: TestStore;
  let wall = new Date('2026-12-01T09:00:00Z');
  const clock = () => wall;
  const queued = async () =>
    (await t.store.db.selectFrom('rescore_queue').select('external_id').orderBy('external_id').execute()).map((r) => r.external_id);

  beforeAll(async () => {
    t = await createTestStore();
    await t.store.tenants.ensure('hs-111');
    await t.store.connections.create('hs-111', { crm: 'hubspot', accountId: '111', credentials: { accessToken: 'x' } }, NOW);
  });
  afterAll(async () => t.drop());
  beforeEach(async () => {
    wall = new Date('2026-12-01T09:00:00Z');
    await sql`delete from rescore_queue`.execute(t.store.db);
    await sql`delete from webhook_events`.execute(t.store.db);
  });

  it('handles an event redelivered to another web process (or after a restart) once', async () => {
    expect((await webProcess(t, clock).post([event(1, 9001)])).status).toBe(204);
    expect(await queued()).toEqual(['9001']);
    await sql`delete from rescore_queue`.execute(t.store.db);
    // HubSpot retries (attempt 1) and reaches a process that never saw the first delivery.
    expect((await webProcess(t, clock).post([event(1, 9001, { attemptNumber: 1 })])).status).toBe(204);
    expect(await queued()).toEqual([]);
  });

  it('lets two processes given the same event at once process it once', async () => {
    const [a, b] = [webProcess(t, clock), webProcess(t, clock)];
    const deletion = [event(2, 9002, { subscriptionType: 'deal.deletion' })];
    await t.store.deals.upsertMany('hs-111', [{ deal: deal('hs-111', { source: 'hubspot', externalId: '9002' }) }], NOW);
    const claims = await Promise.all([
      t.store.webhookEvents.claim('hubspot', ['k-race'], wall, new Date(wall.getTime() + HOUR)),
      t.store.webhookEvents.claim('hubspot', ['k-race'], wall, new Date(wall.getTime() + HOUR)),
    ]);
    expect(claims.flat()).toEqual(['k-race']);
    const results = await Promise.all([a.post(deletion), b.post(deletion)]);
    expect(results.map((r) => r.status)).toEqual([204, 204]);
    expect(await queued()).toEqual(['9002']);
  });

  it('claims one key once even from two connection pools (Postgres)', async () => {
    if (!onPostgres()) return;
    const other = await openStore({ url: t.url!, encryptionKey: TEST_KEY, migrate: false, poolSize: 2, onPoolError: () => undefined });
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `race-${i}`);
      const until = new Date(wall.getTime() + HOUR);
      const [x, y] = await Promise.all([
        t.store.webhookEvents.claim('hubspot', keys, wall, until),
        other.webhookEvents.claim('hubspot', [...keys].reverse(), wall, until),
      ]);
      expect(x.length + y.length).toBe(200);
      expect(new Set([...x, ...y]).size).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('forgets an event after its expiry, and the retention purge removes it', async () => {
    const web = webProcess(t, clock);
    await web.post([event(3, 9003)]);
    await sql`delete from rescore_queue`.execute(t.store.db);
    wall = new Date(wall.getTime() + 26 * HOUR);
    // The app's own clock (NOW, a week earlier) has no say: purge and expiry follow the wall clock.
    await purgeDue(web.ctx, loadSyncConfig(), clock);
    expect(await t.store.db.selectFrom('webhook_events').select('event_key').execute()).toEqual([]);
    await web.post([event(3, 9003)]);
    expect(await queued()).toEqual(['9003']);
  });

  it("lets HubSpot's retry through when queueing the rescore failed", async () => {
    const web = webProcess(t, clock);
    await sql`alter table rescore_queue rename to rescore_queue_away`.execute(t.store.db);
    try {
      await expect(web.post([event(4, 9004)])).rejects.toThrow();
    } finally {
      await sql`alter table rescore_queue_away rename to rescore_queue`.execute(t.store.db);
    }
    expect((await web.post([event(4, 9004, { attemptNumber: 1 })])).status).toBe(204);
    expect(await queued()).toEqual(['9004']);
  });
});
