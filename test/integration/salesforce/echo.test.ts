import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FetchPage } from '../../../connectors/types.ts';
import type { Deal } from '../../../src/core/deal.ts';
import { dealInputHash } from '../../../src/core/deal-hash.ts';
import { compileMapping } from '../../../src/mapping/to-deal.ts';
import {
  allPages,
  anOpportunity,
  connectorFor,
  describeOpportunity,
  INSTANCE,
  memoryCredentials,
  queryPage,
  riskFields,
  salesforceMapping,
  setupNock,
  sfHeaders,
  sfId,
  soqlMatching,
  teardownNock,
  V,
} from './helpers.ts';

beforeEach(setupNock);
afterEach(teardownNock);

const toDeal = compileMapping(salesforceMapping());
function dealOf(page: FetchPage | undefined): Deal {
  const r = toDeal(page!.records[0]!, { tenantId: 't-acme' });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.deal;
}

describe('Salesforce echo of our own writes', () => {
  it('maps a record whose SystemModstamp moved only because we wrote to it to a deal with the same input hash', async () => {
    const id = sfId();
    const before = anOpportunity({ Id: id, SystemModstamp: '2026-05-02T09:00:00.000+0000' });
    // Salesforce bumps SystemModstamp (and LastModifiedDate) on our PATCH; nothing we map changes.
    const after = { ...before, SystemModstamp: '2026-05-02T10:00:07.000+0000' };
    const soql: string[] = [];
    const scope = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(
        soqlMatching((q) => {
          soql.push(q);
          return true;
        }),
      )
      .reply(200, queryPage([before]), sfHeaders())
      .get(`${V}/sobjects/Opportunity/describe`)
      .reply(200, describeOpportunity(), sfHeaders())
      .patch(`${V}/composite/sobjects`)
      .reply(200, [{ id, success: true, errors: [] }], sfHeaders())
      .get(`${V}/queryAll`)
      .query(
        soqlMatching((q) => {
          soql.push(q);
          return true;
        }),
      )
      .reply(200, queryPage([after]), sfHeaders());
    const sf = await connectorFor(memoryCredentials());

    const [first] = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' }));
    const written = await sf.writeBack([{ externalId: id, fields: riskFields() }]);
    const [echo] = await allPages(sf.fetchChanges({ cursor: first!.cursor }));

    expect(scope.isDone()).toBe(true);
    expect(written[0]!.ok).toBe(true);
    expect(echo!.records.map((r) => r.id)).toEqual([id]); // a new version: delivered, not deduplicated
    const [d1, d2] = [dealOf(first), dealOf(echo)];
    expect(d2.modifiedAt).not.toEqual(d1.modifiedAt);
    expect(dealInputHash(d2)).toBe(dealInputHash(d1));
    // The risk fields we write are never read back as inputs.
    expect(soql.every((q) => !/Risk_|Win_Probability__c|Recommended_Action__c/.test(q))).toBe(true);
  });

  it('gives a real edit a different input hash', async () => {
    const id = sfId();
    const before = anOpportunity({ Id: id, SystemModstamp: '2026-05-02T09:00:00.000+0000' });
    const edited = { ...before, StageName: 'Proposal/Price Quote', SystemModstamp: '2026-05-02T11:00:00.000+0000' };
    nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, queryPage([before]), sfHeaders())
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, queryPage([edited]), sfHeaders());
    const sf = await connectorFor(memoryCredentials());

    const [first] = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' }));
    const [second] = await allPages(sf.fetchChanges({ cursor: first!.cursor }));

    expect(dealInputHash(dealOf(second))).not.toBe(dealInputHash(dealOf(first)));
  });
});
