import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../../connectors/salesforce/cursor.ts';
import { isAppError } from '../../../src/core/errors.ts';
import {
  allPages,
  anOpportunity,
  connectorFor,
  INSTANCE,
  memoryCredentials,
  queryPage,
  setupNock,
  sfDateTime,
  sfError,
  sfHeaders,
  sfId,
  soqlMatching,
  teardownNock,
  V,
} from './helpers.ts';

beforeEach(setupNock);
afterEach(teardownNock);

const at = (iso: string) => new Date(iso);

describe('Salesforce fetchChanges', () => {
  it('reads a first sync across nextRecordsUrl pages, each record once, with a cursor per page', async () => {
    const page1 = Array.from({ length: 3 }, (_, i) => anOpportunity({ SystemModstamp: sfDateTime(at(`2026-05-01T07:0${i}:00Z`)) }));
    const page2 = [anOpportunity({ SystemModstamp: '2026-05-01T08:00:00.000+0000' })];
    const scope = nock(INSTANCE)
      .get(`${V}/query`)
      .query(soqlMatching((q) => q === 'SELECT COUNT() FROM Opportunity'))
      .reply(200, { totalSize: 4, done: true, records: [] }, sfHeaders())
      .get(`${V}/query`)
      .query(
        soqlMatching(
          (q) =>
            q.startsWith('SELECT Id, SystemModstamp, IsClosed, IsWon, IsDeleted, Name,') &&
            q.includes('Account.Industry') &&
            q.endsWith('FROM Opportunity ORDER BY SystemModstamp ASC, Id ASC'),
        ),
      )
      .reply(200, queryPage(page1, { next: `${V}/query/01gxx000000ABCD-2000`, totalSize: 4 }), sfHeaders())
      .get(`${V}/query/01gxx000000ABCD-2000`)
      .reply(200, queryPage(page2, { totalSize: 4 }), sfHeaders(903));
    const sf = await connectorFor(memoryCredentials());

    const pages = await allPages(sf.fetchChanges({ cursor: null }));

    expect(scope.isDone()).toBe(true);
    expect(pages.map((p) => p.records.length)).toEqual([3, 1]);
    const ids = pages.flatMap((p) => p.records.map((r) => r.id));
    expect(new Set(ids).size).toBe(4);
    expect(pages[0]!.records[0]!.data).toMatchObject({ Account: { Industry: 'Electronics' }, Owner: { Name: 'Ada Lovelace' } });
    expect(pages[0]!.records[0]!.data).not.toHaveProperty('attributes');
    expect(decodeCursor(pages[0]!.cursor)!.ts.toISOString()).toBe('2026-05-01T07:02:00.000Z');
    expect(decodeCursor(pages[1]!.cursor)!.ts.toISOString()).toBe('2026-05-01T08:00:00.000Z');
    expect(sf.usage()).toEqual({ calls: 3, used: 903, limit: 15000 });
  });

  it('overlaps the cursor by five minutes and skips versions it already delivered', async () => {
    const seenId = sfId();
    const sameSecondId = sfId();
    const editedId = sfId();
    const cursor = encodeCursor({
      ts: at('2026-05-01T10:00:00Z'),
      seen: [`${seenId}@${Date.parse('2026-05-01T09:58:00Z')}`, `${editedId}@${Date.parse('2026-05-01T09:59:00Z')}`],
    });
    const scope = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(soqlMatching((q) => q.includes('WHERE SystemModstamp >= 2026-05-01T09:55:00Z ORDER BY SystemModstamp ASC, Id ASC')))
      .reply(
        200,
        queryPage([
          anOpportunity({ Id: seenId, SystemModstamp: '2026-05-01T09:58:00.000+0000' }),
          // committed late with an older stamp than the cursor: the overlap is what catches it
          anOpportunity({ Id: sameSecondId, SystemModstamp: '2026-05-01T09:59:30.000+0000' }),
          anOpportunity({ Id: editedId, SystemModstamp: '2026-05-01T10:03:00.000+0000' }),
        ]),
        // the query ran at 10:03:30, so the next one re-reads from 09:58:30
        { ...sfHeaders(), date: 'Fri, 01 May 2026 10:03:30 GMT' },
      );
    const sf = await connectorFor(memoryCredentials());

    const pages = await allPages(sf.fetchChanges({ cursor }));

    expect(scope.isDone()).toBe(true);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.records.map((r) => r.id)).toEqual([sameSecondId, editedId]);
    const next = decodeCursor(pages[0]!.cursor)!;
    expect(next.ts.toISOString()).toBe('2026-05-01T10:03:00.000Z');
    // Only versions that the next overlap (>= 09:58:30) can return again are remembered.
    expect(next.seen).toContain(`${editedId}@${Date.parse('2026-05-01T10:03:00Z')}`);
    expect(next.seen).toContain(`${sameSecondId}@${Date.parse('2026-05-01T09:59:30Z')}`);
    expect(next.seen.every((k) => Number(k.split('@')[1]) >= Date.parse('2026-05-01T09:58:00Z'))).toBe(true);
  });

  it('costs one call and delivers nothing when nothing changed since the cursor', async () => {
    const id = sfId();
    const cursor = encodeCursor({ ts: at('2026-05-01T10:00:00Z'), seen: [`${id}@${Date.parse('2026-05-01T10:00:00Z')}`] });
    const scope = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, queryPage([anOpportunity({ Id: id, SystemModstamp: '2026-05-01T10:00:00.000+0000' })]), sfHeaders());
    const sf = await connectorFor(memoryCredentials());

    const pages = await allPages(sf.fetchChanges({ cursor }));

    expect(scope.isDone()).toBe(true);
    expect(pages).toEqual([]);
    expect(sf.usage().calls).toBe(1);
  });

  it('reports opportunities deleted since the cursor as deletedIds (queryAll, IsDeleted = true)', async () => {
    const live = sfId();
    const gone = sfId();
    nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(
        200,
        queryPage([
          anOpportunity({ Id: live, SystemModstamp: '2026-05-02T09:00:00.000+0000' }),
          anOpportunity({ Id: gone, IsDeleted: true, Account: null, SystemModstamp: '2026-05-02T09:30:00.000+0000' }),
        ]),
        sfHeaders(),
      );
    const sf = await connectorFor(memoryCredentials());

    const [page] = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' }));

    expect(page!.records.map((r) => r.id)).toEqual([live]);
    expect(page!.deletedIds).toEqual([gone]);
    expect(decodeCursor(page!.cursor)!.ts.toISOString()).toBe('2026-05-02T09:30:00.000Z');
  });

  it('drops a mapped field the org does not have (CurrencyIsoCode in a single-currency org) and says so', async () => {
    const mapping = (await import('./helpers.ts')).salesforceMapping();
    mapping.fields.currency = { from: 'CurrencyIsoCode', decimal: '.' };
    const scope = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(soqlMatching((q) => q.includes('CurrencyIsoCode')))
      .reply(
        400,
        sfError(
          'INVALID_FIELD',
          "\nSELECT Id, CurrencyIsoCode FROM Opportunity\n           ^\nERROR at Row:1:Column:12\nNo such column 'CurrencyIsoCode' on entity 'Opportunity'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.",
        ),
        sfHeaders(),
      )
      .get(`${V}/queryAll`)
      .query(soqlMatching((q) => !q.includes('CurrencyIsoCode')))
      .reply(200, queryPage([anOpportunity({ SystemModstamp: '2026-05-02T09:00:00.000+0000' })]), sfHeaders());
    const sf = await connectorFor(memoryCredentials(), { mapping });

    const pages = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' }));

    expect(scope.isDone()).toBe(true);
    expect(pages[0]!.records).toHaveLength(1);
    expect(sf.warnings.join('\n')).toMatch(/dropped CurrencyIsoCode/);
  });

  it('lets jsforce retry a read once after a 503, and counts both calls', async () => {
    const scope = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(503, sfError('SERVER_UNAVAILABLE', 'Server temporarily unavailable'), sfHeaders())
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, queryPage([anOpportunity({ SystemModstamp: '2026-05-02T09:00:00.000+0000' })]), sfHeaders());
    const sf = await connectorFor(memoryCredentials());

    const pages = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' }));

    expect(scope.isDone()).toBe(true);
    expect(pages[0]!.records).toHaveLength(1);
    expect(sf.usage().calls).toBe(2);
  });

  it('names the bad SOQL when Salesforce answers MALFORMED_QUERY', async () => {
    nock(INSTANCE).get(`${V}/queryAll`).query(true).reply(400, sfError('MALFORMED_QUERY', "unexpected token: 'FROMM'"), sfHeaders());
    const sf = await connectorFor(memoryCredentials());

    const err = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' })).catch((e) => e);

    expect(isAppError(err, 'crm_bad_request')).toBe(true);
    expect(err.details).toMatchObject({ status: 400, sfCode: 'MALFORMED_QUERY', retryable: false });
  });
});
