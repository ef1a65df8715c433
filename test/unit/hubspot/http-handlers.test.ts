import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Signature } from '@hubspot/api-client/lib/src/utils/signature.js';
import { describe, expect, it } from 'vitest';
import {
  CARD_DATA_PATH,
  cardDataHandler,
  type DealRiskView,
  type SeenEventStore,
  verifySignatureV3,
  WEBHOOK_PATH,
  webhookHandler,
} from '../../../connectors/hubspot/http-handlers.ts';
import type { RawHandler } from '../../../src/server/deps.ts';

/** The seen-event memory as a set (the web app's is the database: test/integration/server/webhook-events.test.ts). */
function seenEvents(): SeenEventStore & { keys: Set<string> } {
  const keys = new Set<string>();
  return {
    keys,
    claim: (ks) => ks.filter((k) => !keys.has(k) && Boolean(keys.add(k))),
    release: (ks) => {
      for (const k of ks) keys.delete(k);
    },
  };
}

const secret = 'app-client-secret';
const now = new Date('2026-11-24T10:00:00.000Z');
const base = 'https://dealrisk.example.com';

function sign(method: string, url: string, body: string, ts: number): Record<string, string> {
  const sig = createHmac('sha256', secret).update(`${method}${url}${body}${ts}`).digest('base64');
  return { 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': String(ts) };
}

describe('verifySignatureV3', () => {
  const url = `${base}${CARD_DATA_PATH}?dealId=493593663734&portalId=147893286&userId=88842095&userEmail=rep@example.com&appId=18221010`;
  const ts = now.getTime() - 10_000;

  it('accepts a request signed as HubSpot signs it (the SDK computes the same signature)', () => {
    const h = sign('GET', url, '', ts);
    const sdk = Signature.getSignature('GET', 'v3', { signature: '', clientSecret: secret, url, requestBody: '', timestamp: ts });
    expect(h['x-hubspot-signature-v3']).toBe(sdk);
    expect(verifySignatureV3({ method: 'GET', url, body: '', timestamp: String(ts), signature: sdk, clientSecret: secret, now })).toEqual({
      ok: true,
    });
  });

  it('rejects a signature made with another secret or over another body', () => {
    const h = sign('POST', url, '[{"eventId":1}]', ts);
    expect(
      verifySignatureV3({
        method: 'POST',
        url,
        body: '[{"eventId":2}]',
        timestamp: String(ts),
        signature: h['x-hubspot-signature-v3'],
        clientSecret: secret,
        now,
      }),
    ).toEqual({ ok: false, reason: 'mismatch' });
    expect(
      verifySignatureV3({
        method: 'POST',
        url,
        body: '[{"eventId":1}]',
        timestamp: String(ts),
        signature: h['x-hubspot-signature-v3'],
        clientSecret: 'other',
        now,
      }),
    ).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a correctly signed request older than 5 minutes', () => {
    const old = now.getTime() - 5 * 60_000 - 1;
    const h = sign('GET', url, '', old);
    expect(
      verifySignatureV3({
        method: 'GET',
        url,
        body: '',
        timestamp: String(old),
        signature: h['x-hubspot-signature-v3'],
        clientSecret: secret,
        now,
      }),
    ).toEqual({ ok: false, reason: 'stale' });
  });

  it("hashes the URI with HubSpot's listed characters decoded", () => {
    const encoded = `${base}${CARD_DATA_PATH}?userEmail=rep%40example.com&dealId=1`;
    const h = sign('GET', `${base}${CARD_DATA_PATH}?userEmail=rep@example.com&dealId=1`, '', ts);
    expect(
      verifySignatureV3({
        method: 'GET',
        url: encoded,
        body: '',
        timestamp: String(ts),
        signature: h['x-hubspot-signature-v3'],
        clientSecret: secret,
        now,
      }).ok,
    ).toBe(true);
  });

  it('rejects a request without signature headers', () => {
    expect(
      verifySignatureV3({ method: 'GET', url, body: '', timestamp: undefined, signature: undefined, clientSecret: secret, now }),
    ).toEqual({ ok: false, reason: 'missing' });
  });
});

const risk: DealRiskView = {
  score: 81,
  category: 'Critical',
  winProbability: 0.125,
  drivers: ['No contact for 41 days', 'Close date pushed 3 times', 'Single contact on the deal'],
  actions: [{ horizon: 'immediate', text: 'Call the economic buyer' }],
  modelStatus: 'ok',
  scoredAt: '2026-11-24T09:00:00.000Z',
};

describe('cardDataHandler', () => {
  const lookups: Array<[string, string]> = [];
  const handler = cardDataHandler({
    clientSecret: secret,
    publicBaseUrl: base,
    now: () => now,
    lookupDealRisk: async (portal, deal) => {
      lookups.push([portal, deal]);
      return portal === '147893286' && deal === '493593663734' ? risk : null;
    },
  });
  const path = `${CARD_DATA_PATH}?dealId=493593663734&portalId=147893286&userId=88842095&appId=18221010`;

  it("returns the deal's risk for the portal named in the signed request", async () => {
    const res = await handler({ method: 'GET', url: path, headers: sign('GET', `${base}${path}`, '', now.getTime()), rawBody: '' });
    expect(res).toEqual({ status: 200, body: { dealId: '493593663734', ...risk } });
    expect(lookups.at(-1)).toEqual(['147893286', '493593663734']);
  });

  it('refuses a badly signed request before looking anything up', async () => {
    const before = lookups.length;
    const forged = `${CARD_DATA_PATH}?dealId=493593663734&portalId=999`;
    const res = await handler({ method: 'GET', url: forged, headers: sign('GET', `${base}${path}`, '', now.getTime()), rawBody: '' });
    expect(res.status).toBe(401);
    expect(lookups.length).toBe(before);
  });

  it("plugs into the web app's raw route as is (full URL, Buffer body)", async () => {
    const asMounted: RawHandler = handler;
    const res = await asMounted({
      method: 'GET',
      url: `${base}${path}`,
      headers: sign('GET', `${base}${path}`, '', now.getTime()),
      body: Buffer.alloc(0),
    });
    expect(res.status).toBe(200);
  });

  it('says 404 for a deal of another portal, never its data', async () => {
    const other = `${CARD_DATA_PATH}?dealId=493593663734&portalId=555`;
    const res = await handler({ method: 'GET', url: other, headers: sign('GET', `${base}${other}`, '', now.getTime()), rawBody: '' });
    expect(res.status).toBe(404);
  });
});

describe('webhookHandler', () => {
  const event = (eventId: number, over: Record<string, unknown> = {}) => ({
    eventId,
    subscriptionId: 2816385,
    portalId: 147893286,
    appId: 18221010,
    occurredAt: 1764000000000,
    subscriptionType: 'deal.propertyChange',
    attemptNumber: 0,
    objectId: 493593663734,
    propertyName: 'dealstage',
    propertyValue: 'contractsent',
    changeSource: 'CRM_UI',
    ...over,
  });

  function setup() {
    const queued: Array<[string, string[], string]> = [];
    const handler = webhookHandler({
      clientSecret: secret,
      publicBaseUrl: base,
      now: () => now,
      seenEventIds: seenEvents(),
      enqueueRescore: async (portal, ids, reason) => void queued.push([portal, ids, reason]),
    });
    const post = (events: unknown[]) => {
      const body = JSON.stringify(events);
      return handler({
        method: 'POST',
        url: WEBHOOK_PATH,
        headers: sign('POST', `${base}${WEBHOOK_PATH}`, body, now.getTime()),
        rawBody: Buffer.from(body),
      });
    };
    return { queued, post, handler };
  }

  it('queues changed and deleted deals once per event id and acknowledges', async () => {
    const { queued, post } = setup();
    const res = await post([
      event(1),
      event(2, { objectId: 111, propertyName: 'amount' }),
      event(3, { subscriptionType: 'deal.deletion', objectId: 222 }),
    ]);
    expect(res.status).toBe(204);
    expect(queued).toEqual([
      ['147893286', ['493593663734', '111'], 'changed'],
      ['147893286', ['222'], 'deleted'],
    ]);
    // HubSpot delivers at least once: the same events again change nothing.
    await post([event(1), event(3, { subscriptionType: 'deal.deletion', objectId: 222 })]);
    expect(queued).toHaveLength(2);
  });

  it('reads generic object events for deals (objectTypeId 0-3) and ignores other objects', async () => {
    const { queued, post } = setup();
    await post([
      event(10, { subscriptionType: 'object.propertyChange', objectTypeId: '0-3', objectId: 5 }),
      event(11, { subscriptionType: 'object.propertyChange', objectTypeId: '0-1', objectId: 6 }),
    ]);
    expect(queued).toEqual([['147893286', ['5'], 'changed']]);
  });

  it('ignores events addressed to another app when HUBSPOT_APP_ID is set', async () => {
    const queued: string[][] = [];
    const handler = webhookHandler({
      clientSecret: secret,
      publicBaseUrl: base,
      now: () => now,
      appId: '18221010',
      seenEventIds: seenEvents(),
      enqueueRescore: async (_p, ids) => void queued.push(ids),
    });
    const body = JSON.stringify([event(1), event(2, { appId: 999, objectId: 7 })]);
    await handler({
      method: 'POST',
      url: WEBHOOK_PATH,
      headers: sign('POST', `${base}${WEBHOOK_PATH}`, body, now.getTime()),
      rawBody: body,
    });
    expect(queued).toEqual([['493593663734']]);
  });

  it('refuses more than 100 events and unsigned bodies', async () => {
    const { post, handler } = setup();
    expect((await post(Array.from({ length: 101 }, (_, i) => event(i)))).status).toBe(400);
    const res = await handler({ method: 'POST', url: WEBHOOK_PATH, headers: {}, rawBody: '[]' });
    expect(res.status).toBe(401);
  });

  it('lets HubSpot redeliver when queueing fails', async () => {
    let fail = true;
    const queued: string[][] = [];
    const handler = webhookHandler({
      clientSecret: secret,
      publicBaseUrl: base,
      now: () => now,
      seenEventIds: seenEvents(),
      enqueueRescore: async (_p, ids) => {
        if (fail) throw new Error('queue down');
        queued.push(ids);
      },
    });
    const body = JSON.stringify([event(42)]);
    const req = () =>
      handler({ method: 'POST', url: WEBHOOK_PATH, headers: sign('POST', `${base}${WEBHOOK_PATH}`, body, now.getTime()), rawBody: body });
    await expect(req()).rejects.toThrow('queue down');
    fail = false;
    expect((await req()).status).toBe(204);
    expect(queued).toEqual([['493593663734']]);
  });

  it('keeps a deal that was deleted and then restored in the same batch, whatever the delivery order', async () => {
    const { queued, post } = setup();
    const deletion = event(50, { subscriptionType: 'deal.deletion', objectId: 7, occurredAt: 1764000000000 });
    const restore = event(51, { subscriptionType: 'deal.restore', objectId: 7, occurredAt: 1764000060000 });
    await post([restore, deletion]);
    expect(queued).toEqual([['147893286', ['7'], 'changed']]);
    // The other way round (restored, then deleted again) it is gone.
    await post([
      event(52, { subscriptionType: 'deal.restore', objectId: 8, occurredAt: 1764000000000 }),
      event(53, { subscriptionType: 'deal.deletion', objectId: 8, occurredAt: 1764000060000 }),
    ]);
    expect(queued.at(-1)).toEqual(['147893286', ['8'], 'deleted']);
  });

  it('reads a restored deal again, from deal.restore or the generic object.restore of deals', async () => {
    const { queued, post } = setup();
    await post([
      event(60, { subscriptionType: 'deal.restore', objectId: 9 }),
      event(61, { subscriptionType: 'object.restore', objectTypeId: '0-3', objectId: 10 }),
    ]);
    expect(queued).toEqual([['147893286', ['9', '10'], 'changed']]);
  });

  it('tells events apart by more than eventId, which HubSpot does not guarantee unique', async () => {
    const { queued, post } = setup();
    await post([event(70, { objectId: 11 })]);
    await post([event(70, { objectId: 12 })]);
    await post([event(70, { portalId: 555, objectId: 11 })]);
    expect(queued).toEqual([
      ['147893286', ['11'], 'changed'],
      ['147893286', ['12'], 'changed'],
      ['555', ['11'], 'changed'],
    ]);
    // A retry (same event, next attempt) is still a duplicate.
    await post([event(70, { objectId: 11, attemptNumber: 1 })]);
    expect(queued).toHaveLength(3);
  });

  it('acts on every deal event the app subscribes to, deal.restore included', async () => {
    const hooks = JSON.parse(
      readFileSync(new URL('../../../connectors/hubspot/app/src/app/webhooks/webhooks-hsmeta.json', import.meta.url), 'utf8'),
    );
    const types: string[] = hooks.config.subscriptions.legacyCrmObjects.map((x: { subscriptionType: string }) => x.subscriptionType);
    expect(types).toContain('deal.restore');
    const { queued, post } = setup();
    await post(
      [...new Set(types)].map((subscriptionType, i) =>
        subscriptionType === 'deal.merge'
          ? event(100 + i, { subscriptionType, primaryObjectId: 500 + i, mergedObjectIds: [500 + i, 900] })
          : event(100 + i, { subscriptionType, objectId: 500 + i }),
      ),
    );
    const touched = new Set(queued.flatMap(([, ids]) => ids));
    for (let i = 0; i < new Set(types).size; i++) expect(touched.has(String(500 + i))).toBe(true);
  });
});
