import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TRUNCATION_NOTE } from '../../../connectors/salesforce/format-values.ts';
import { isAppError } from '../../../src/core/errors.ts';
import {
  connectorFor,
  describeOpportunity,
  INSTANCE,
  memoryCredentials,
  riskFields,
  setupNock,
  sfError,
  sfHeaders,
  sfId,
  teardownNock,
  V,
} from './helpers.ts';

beforeEach(setupNock);
afterEach(teardownNock);

/** nock 15 hands reply functions the fetch Request. */
const parsed = async (req: Request): Promise<CollectionBody> => (await req.json()) as CollectionBody;

interface CollectionBody {
  allOrNone: boolean;
  records: Array<Record<string, unknown> & { id: string; attributes: { type: string } }>;
}

describe('Salesforce writeBack', () => {
  it('writes a collection with allOrNone=false and keeps each record its own result', async () => {
    const [ok, missing, locked] = [sfId(), sfId(), sfId()];
    let sent: CollectionBody | undefined;
    const scope = nock(INSTANCE)
      .get(`${V}/sobjects/Opportunity/describe`)
      .reply(200, describeOpportunity(), sfHeaders())
      .patch(`${V}/composite/sobjects`, (b: CollectionBody) => {
        sent = b;
        return true;
      })
      .reply(
        200,
        [
          { id: ok, success: true, errors: [] },
          // recorded in contracts/salesforce/update-sobject-collection.test.json
          { success: false, errors: [{ statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: [] }] },
          {
            success: false,
            errors: [{ statusCode: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record', fields: [] }],
          },
        ],
        sfHeaders(),
      );
    const sf = await connectorFor(memoryCredentials());

    const results = await sf.writeBack([ok, missing, locked].map((externalId) => ({ externalId, fields: riskFields() })));

    expect(scope.isDone()).toBe(true);
    expect(results).toEqual([
      { externalId: ok, ok: true },
      {
        externalId: missing,
        ok: false,
        error: { code: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', retryable: false },
      },
      {
        externalId: locked,
        ok: false,
        error: { code: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record', retryable: true },
      },
    ]);
    expect(sent!.allOrNone).toBe(false);
    expect(sent!.records[0]).toEqual({
      id: ok,
      attributes: { type: 'Opportunity' },
      Risk_Score__c: 72,
      Risk_Category__c: 'High',
      Win_Probability__c: 28.34,
      Risk_Drivers__c: riskFields().drivers,
      Recommended_Action__c: riskFields().action,
      Risk_Scored_At__c: '2026-05-02T10:00:00.000Z',
      Risk_Model_Status__c: 'ok',
    });
  });

  it('sends at most 200 records per request', async () => {
    const sizes: number[] = [];
    const updates = Array.from({ length: 450 }, () => ({ externalId: sfId(), fields: riskFields() }));
    const scope = nock(INSTANCE)
      .get(`${V}/sobjects/Opportunity/describe`)
      .reply(200, describeOpportunity(), sfHeaders())
      .patch(`${V}/composite/sobjects`)
      .times(3)
      .reply(
        200,
        async (req) => {
          const recs = (await parsed(req)).records;
          sizes.push(recs.length);
          return recs.map((r) => ({ id: r.id, success: true, errors: [] }));
        },
        sfHeaders(),
      );
    const sf = await connectorFor(memoryCredentials());

    const results = await sf.writeBack(updates);

    expect(scope.isDone()).toBe(true);
    expect(sizes).toEqual([200, 200, 50]);
    expect(results.map((r) => r.externalId)).toEqual(updates.map((u) => u.externalId));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(sf.usage().calls).toBe(4); // ⌈450/200⌉ writes + 1 describe
  });

  it('cuts text to the field length with a visible note', async () => {
    let sent: CollectionBody | undefined;
    nock(INSTANCE)
      .get(`${V}/sobjects/Opportunity/describe`)
      .reply(200, describeOpportunity({ Risk_Drivers__c: { type: 'string', length: 60 } }), sfHeaders())
      .patch(`${V}/composite/sobjects`, (b: CollectionBody) => {
        sent = b;
        return true;
      })
      .reply(200, [{ id: 'x', success: true, errors: [] }], sfHeaders());
    const sf = await connectorFor(memoryCredentials());

    await sf.writeBack([{ externalId: sfId(), fields: riskFields() }]);

    const drivers = String(sent!.records[0]!.Risk_Drivers__c);
    expect(drivers).toHaveLength(60);
    expect(drivers.endsWith(TRUNCATION_NOTE)).toBe(true);
    expect(drivers.startsWith('No activity for 41 days')).toBe(true);
  });

  it('does not retry a failed PATCH: every record comes back retryable for the outbox', async () => {
    const scope = nock(INSTANCE)
      .get(`${V}/sobjects/Opportunity/describe`)
      .reply(200, describeOpportunity(), sfHeaders())
      .patch(`${V}/composite/sobjects`)
      .once()
      .reply(503, sfError('SERVER_UNAVAILABLE', 'Server temporarily unavailable'), sfHeaders());
    const sf = await connectorFor(memoryCredentials());

    const results = await sf.writeBack([
      { externalId: sfId(), fields: riskFields() },
      { externalId: sfId(), fields: riskFields() },
    ]);

    expect(scope.isDone()).toBe(true);
    expect(results.map((r) => [r.ok, r.error?.code, r.error?.retryable])).toEqual([
      [false, 'SERVER_UNAVAILABLE', true],
      [false, 'SERVER_UNAVAILABLE', true],
    ]);
    expect(sf.usage().calls).toBe(2);
  });

  it('refuses to write when setup has not created the fields, naming them', async () => {
    nock(INSTANCE)
      .get(`${V}/sobjects/Opportunity/describe`)
      .reply(200, { name: 'Opportunity', fields: [{ name: 'Id', type: 'id' }] }, sfHeaders());
    const sf = await connectorFor(memoryCredentials());

    const [result] = await sf.writeBack([{ externalId: sfId(), fields: riskFields() }]);

    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_FIELD', retryable: false } });
    expect(result!.error!.message).toMatch(/Risk_Score__c.*run setup/);
  });

  it('pauses on 403 REQUEST_LIMIT_EXCEEDED, keeping one result per update', async () => {
    const updates = Array.from({ length: 250 }, () => ({ externalId: sfId(), fields: riskFields() }));
    nock(INSTANCE)
      .get(`${V}/sobjects/Opportunity/describe`)
      .reply(200, describeOpportunity(), sfHeaders())
      .patch(`${V}/composite/sobjects`)
      .reply(200, async (req) => (await parsed(req)).records.map((r) => ({ id: r.id, success: true, errors: [] })), sfHeaders())
      .patch(`${V}/composite/sobjects`)
      .reply(403, sfError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), sfHeaders(15000, 15000));
    const sf = await connectorFor(memoryCredentials());

    const err = await sf.writeBack(updates).catch((e) => e);

    expect(isAppError(err, 'crm_quota_exhausted')).toBe(true);
    expect(err.details).toMatchObject({ retryable: true, paused: true, status: 403 });
    const results = err.details.results as Array<{ ok: boolean; error?: { retryable: boolean } }>;
    expect(results).toHaveLength(250);
    expect(results.slice(0, 200).every((r) => r.ok)).toBe(true);
    expect(results.slice(200).every((r) => !r.ok && r.error!.retryable)).toBe(true);
  });
});

describe('Salesforce writeBack when the describe fails', () => {
  it('returns per-record failures instead of throwing', async () => {
    nock(INSTANCE)
      .get(`${V}/sobjects/Opportunity/describe`)
      .reply(403, sfError('INSUFFICIENT_ACCESS', 'insufficient access rights on object id'), sfHeaders());
    const sf = await connectorFor(memoryCredentials());
    const id = sfId();

    const results = await sf.writeBack([{ externalId: id, fields: riskFields() }]);

    expect(results).toEqual([
      { externalId: id, ok: false, error: expect.objectContaining({ code: 'INSUFFICIENT_ACCESS', retryable: false }) },
    ]);
  });
});
