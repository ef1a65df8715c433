import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DealUpdate, RiskFields } from '../../../connectors/types.ts';
import { dealInputHash } from '../../../src/core/deal-hash.ts';
import { isAppError } from '../../../src/core/errors.ts';
import { compileMapping } from '../../../src/mapping/to-deal.ts';
import { collect, hubspotMapping, MemoryCredentials, makeConnector, oauthCredentials, TestClock } from './support/connector.ts';
import { aDeal, FakeHubSpot } from './support/fake-hubspot.ts';

const API = 'https://api.hubapi.com';
let fake: FakeHubSpot | null = null;
beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  fake?.stop();
  fake = null;
  nock.cleanAll();
});

const fields = (score: number): RiskFields => ({
  score,
  category: score > 75 ? 'Critical' : 'High',
  winProbability: 1 - score / 100,
  drivers: 'No activity for 41 days',
  action: 'Call the buyer',
  scoredAt: new Date('2026-11-24T10:00:00Z'),
  modelStatus: 'ok',
});
const update = (id: string, score = 70): DealUpdate => ({ externalId: id, fields: fields(score) });

describe('HubSpot writeBack', () => {
  it('writes 100 deals per call and returns one result per update, in order', async () => {
    const clock = new TestClock();
    const deals = Array.from({ length: 250 }, (_, i) => aDeal(i));
    fake = new FakeHubSpot({ deals, now: clock.now });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const updates = deals.map((d) => update(d.id)).reverse();
    const results = await c.writeBack(updates);
    expect(results.map((r) => r.externalId)).toEqual(updates.map((u) => u.externalId));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(fake.count('/crm/v3/objects/deals/batch/update')).toBe(3); // ⌈250/100⌉
    expect(deals[0]!.properties).toMatchObject({
      risk_score: '70',
      risk_category: 'High',
      risk_win_probability: '30',
      risk_scored_at: '2026-11-24T10:00:00.000Z',
    });
  });

  it('records a 207 partial failure against the one deal and keeps the rest', async () => {
    const clock = new TestClock();
    const deals = Array.from({ length: 5 }, (_, i) => aDeal(i));
    fake = new FakeHubSpot({ deals, rejectIds: new Set([deals[2]!.id]) });
    const results = await makeConnector(clock, new MemoryCredentials(oauthCredentials(clock))).writeBack(deals.map((d) => update(d.id)));
    expect(results.map((r) => r.ok)).toEqual([true, true, false, true, true]);
    expect(results[2]!.error).toMatchObject({ code: 'REQUIRED_PROPERTY', retryable: false });
    expect(results[2]!.error!.message).toContain(deals[2]!.id);
    expect(fake.count('/crm/v3/objects/deals/batch/update')).toBe(1);
  });

  it('reads the dated API shape too: errors inside a 200', async () => {
    const clock = new TestClock();
    const deals = Array.from({ length: 3 }, (_, i) => aDeal(i));
    fake = new FakeHubSpot({ deals, rejectIds: new Set([deals[0]!.id]), datedBatchErrors: true });
    const results = await makeConnector(clock, new MemoryCredentials(oauthCredentials(clock))).writeBack(deals.map((d) => update(d.id)));
    expect(results.map((r) => r.ok)).toEqual([false, true, true]);
  });

  it('isolates a deal that makes HubSpot refuse the whole batch (400 VALIDATION_ERROR) and writes the others', async () => {
    const clock = new TestClock();
    const bad = '479475667163';
    const seen: number[] = [];
    nock(API)
      .persist()
      .post('/crm/v3/objects/deals/batch/update')
      .reply(async (req: Request) => {
        const body = (await req.json()) as { inputs: Array<{ id: string }> };
        seen.push(body.inputs.length);
        if (body.inputs.some((i) => i.id === bad)) {
          return [
            400,
            {
              status: 'error',
              message:
                'Property values were not valid: [{"isValid":false,"message":"Deal stage requires closed_lost_reason","error":"INVALID_OPTION","name":"dealstage"}]',
              correlationId: 'x',
              category: 'VALIDATION_ERROR',
              errors: [{ message: 'invalid', code: 'INVALID_OPTION' }],
            },
          ];
        }
        return [
          200,
          { status: 'COMPLETE', results: body.inputs.map((i) => ({ id: i.id, properties: {} })), startedAt: 'x', completedAt: 'x' },
        ];
      });
    const ids = Array.from({ length: 8 }, (_, i) => String(479475667160 + i));
    const results = await makeConnector(clock, new MemoryCredentials(oauthCredentials(clock))).writeBack(ids.map((id) => update(id)));
    expect(results.filter((r) => !r.ok).map((r) => r.externalId)).toEqual([bad]);
    expect(results.find((r) => !r.ok)!.error).toMatchObject({ code: 'INVALID_OPTION', retryable: false });
    expect(seen[0]).toBe(8);
    expect(seen.length).toBeLessThanOrEqual(7); // 8 → 4+4 → 2+2 → 1+1
  });

  it('stops with a clear error when the risk properties do not exist yet', async () => {
    const clock = new TestClock();
    nock(API).post('/crm/v3/objects/deals/batch/update').reply(400, {
      status: 'error',
      message:
        'Property values were not valid: [{"isValid":false,"message":"Property \\"risk_score\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"risk_score"}]',
      category: 'VALIDATION_ERROR',
      correlationId: 'x',
    });
    const err = await makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)))
      .writeBack([update('1'), update('2')])
      .catch((e) => e);
    expect(isAppError(err, 'config_invalid')).toBe(true);
    expect(err.message).toMatch(/setup/);
  });

  it('recognizes the echo of its own write: the next sync maps the deal to the same input hash', async () => {
    const clock = new TestClock();
    const deal = aDeal(1, { props: { hs_lastmodifieddate: new Date(clock.t - 30 * 60_000).toISOString() } });
    fake = new FakeHubSpot({ deals: [deal], now: clock.now });
    const c = makeConnector(clock, new MemoryCredentials({ accessToken: 'pat-na1-test', refreshToken: null, accountId: '147893286' }));
    const map = compileMapping(hubspotMapping());
    const cursor = JSON.stringify({
      v: 1,
      phase: 'incremental',
      since: new Date(clock.t - 3_600_000).toISOString(),
      run: null,
      archivedCheckedAt: clock.now().toISOString(),
    });
    const [first] = await collect(c.fetchChanges({ cursor }));
    const before = map(first!.records[0]!, { tenantId: 't' });
    clock.t += 60_000;
    await c.writeBack([update(deal.id, 80)]);
    clock.t += 60 * 60_000;
    const again = await collect(c.fetchChanges({ cursor: first!.cursor }));
    const echoed = again.flatMap((p) => p.records);
    expect(echoed.map((r) => r.id)).toEqual([deal.id]); // hs_lastmodifieddate moved, so search finds it
    const after = map(echoed[0]!, { tenantId: 't' });
    if (!before.ok || !after.ok) throw new Error('mapping failed');
    expect(after.deal.modifiedAt!.getTime()).toBeGreaterThan(before.deal.modifiedAt!.getTime());
    expect(dealInputHash(after.deal)).toBe(dealInputHash(before.deal));
  });
});
