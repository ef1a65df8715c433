import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../../connectors/salesforce/cursor.ts';
import type { FetchPage } from '../../../connectors/types.ts';
import {
  allPages,
  anOpportunity,
  connectorFor,
  INSTANCE,
  memoryCredentials,
  queryPage,
  setupNock,
  sfHeaders,
  sfId,
  soqlMatching,
  teardownNock,
  V,
} from './helpers.ts';

beforeEach(setupNock);
afterEach(teardownNock);

/** Salesforce answers with an HTTP Date: the cursor records it as the time the query ran. */
const headersAt = (iso: string) => ({ ...sfHeaders(), date: new Date(iso).toUTCString() });
const opp = (id: string, iso: string) => anOpportunity({ Id: id, SystemModstamp: iso.replace('Z', '+0000') });
const ids = (pages: Array<{ records: Array<{ id: string }> }>) => pages.flatMap((p) => p.records.map((r) => r.id));

/** Rows sharing one SystemModstamp, in query order (Id ascending). */
function echoBatch(n: number, iso: string): Record<string, unknown>[] {
  return Array.from({ length: n }, () => opp(sfId(), iso));
}

describe('Salesforce keyset cursor', () => {
  it('costs one query call for a quiet hour after a 5,000-record write-back echo', async () => {
    const echoes = echoBatch(5000, '2026-05-01T10:30:00.000Z');
    const lastId = echoes[4999]!.Id as string;
    // 11:00 sync reads the echo of our 10:30 write-back: three pages.
    nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(soqlMatching((q) => q.includes('WHERE SystemModstamp >= 2026-05-01T09:55:00Z ORDER BY SystemModstamp ASC, Id ASC')))
      .reply(200, queryPage(echoes.slice(0, 2000), { next: `${V}/query/01gECHO-2000`, totalSize: 5000 }), headersAt('2026-05-01T11:00:00Z'))
      .get(`${V}/query/01gECHO-2000`)
      .reply(
        200,
        queryPage(echoes.slice(2000, 4000), { next: `${V}/query/01gECHO-4000`, totalSize: 5000 }),
        headersAt('2026-05-01T11:00:01Z'),
      )
      .get(`${V}/query/01gECHO-4000`)
      .reply(200, queryPage(echoes.slice(4000), { totalSize: 5000 }), headersAt('2026-05-01T11:00:02Z'));
    const echoRun = await allPages((await connectorFor(memoryCredentials())).fetchChanges({ cursor: '2026-05-01T10:00:00Z' }));
    expect(ids(echoRun)).toHaveLength(5000);
    const cursor = echoRun.at(-1)!.cursor;
    expect(decodeCursor(cursor)).toMatchObject({
      ts: new Date('2026-05-01T10:30:00Z'),
      lastId,
      queriedAt: new Date('2026-05-01T11:00:00Z'),
    });

    // 12:00, nothing new: only rows after (10:30:00, lastId) are asked for, with history enabled.
    const quiet = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(
        soqlMatching((q) =>
          q.includes(
            `WHERE (SystemModstamp > 2026-05-01T10:30:00Z OR (SystemModstamp = 2026-05-01T10:30:00Z AND Id > '${lastId}')) ORDER BY SystemModstamp ASC, Id ASC`,
          ),
        ),
      )
      .reply(200, queryPage([]), headersAt('2026-05-01T12:00:00Z'));
    const sf = await connectorFor(memoryCredentials(), { history: true });

    const pages = await allPages(sf.fetchChanges({ cursor }));

    expect(quiet.isDone()).toBe(true);
    expect(pages).toEqual([]);
    expect(sf.usage().calls).toBe(1);
  });

  it('still delivers, once, a record that committed late with a stamp inside the previous query’s overlap', async () => {
    const early = sfId();
    const late = sfId();
    // 11:00 sync sees `early` (10:58); `late` is still in an open transaction.
    nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, queryPage([opp(early, '2026-05-01T10:58:00.000Z')]), headersAt('2026-05-01T11:00:00Z'));
    const [first] = await allPages((await connectorFor(memoryCredentials())).fetchChanges({ cursor: '2026-05-01T10:50:00Z' }));

    // `late` commits at 11:00:30 stamped 10:57: the next query re-reads from 11:00 − 5 min.
    const window = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(soqlMatching((q) => q.includes('WHERE SystemModstamp >= 2026-05-01T10:55:00Z ORDER BY')))
      .reply(
        200,
        queryPage([opp(late, '2026-05-01T10:57:00.000Z'), opp(early, '2026-05-01T10:58:00.000Z')]),
        headersAt('2026-05-01T12:00:00Z'),
      );
    const second = await allPages((await connectorFor(memoryCredentials())).fetchChanges({ cursor: first!.cursor }));
    expect(window.isDone()).toBe(true);
    expect(ids(second)).toEqual([late]);

    // 13:00: the 12:00 query ran long after the last change, so the keyset alone applies.
    const keyset = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(soqlMatching((q) => q.includes(`SystemModstamp = 2026-05-01T10:58:00Z AND Id > '${early}'`)))
      .reply(200, queryPage([]), headersAt('2026-05-01T13:00:00Z'));
    const third = await allPages((await connectorFor(memoryCredentials())).fetchChanges({ cursor: second.at(-1)!.cursor }));
    expect(keyset.isDone()).toBe(true);
    expect(third).toEqual([]);
  });

  it('delivers each record sharing one instant across a page boundary once, when a run stops between pages', async () => {
    const batch = echoBatch(2500, '2026-05-01T10:30:00.000Z');
    nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, queryPage(batch.slice(0, 2000), { next: `${V}/query/01gSTOP-2000`, totalSize: 2500 }), headersAt('2026-05-01T11:00:00Z'));
    const firstRun = (await connectorFor(memoryCredentials())).fetchChanges({ cursor: '2026-05-01T10:00:00Z' })[Symbol.asyncIterator]();
    const page1 = (await firstRun.next()).value as FetchPage;
    await firstRun.return?.(undefined); // the worker stopped after storing page 1

    const boundary = batch[1999]!.Id as string;
    const resume = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(soqlMatching((q) => q.includes(`SystemModstamp = 2026-05-01T10:30:00Z AND Id > '${boundary}'`)))
      .reply(200, queryPage(batch.slice(2000)), headersAt('2026-05-01T12:00:00Z'));
    const rest = await allPages((await connectorFor(memoryCredentials())).fetchChanges({ cursor: page1.cursor }));

    expect(resume.isDone()).toBe(true);
    const all = [...page1.records.map((r) => r.id), ...ids(rest)];
    expect(all).toHaveLength(2500);
    expect(new Set(all)).toEqual(new Set(batch.map((r) => r.Id as string)));
  });

  it('resumes a v1 cursor with the plain overlap and writes the keyset form', async () => {
    const seen = sfId();
    const fresh = sfId();
    const v1 = JSON.stringify({ v: 1, ts: '2026-05-01T10:00:00.000Z', seen: [`${seen}@${Date.parse('2026-05-01T09:58:00Z')}`] });
    const scope = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(soqlMatching((q) => q.includes('WHERE SystemModstamp >= 2026-05-01T09:55:00Z ORDER BY')))
      .reply(
        200,
        queryPage([opp(seen, '2026-05-01T09:58:00.000Z'), opp(fresh, '2026-05-01T10:20:00.000Z')]),
        headersAt('2026-05-01T11:00:00Z'),
      );

    const pages = await allPages((await connectorFor(memoryCredentials())).fetchChanges({ cursor: v1 }));

    expect(scope.isDone()).toBe(true);
    expect(ids(pages)).toEqual([fresh]);
    expect(JSON.parse(pages[0]!.cursor!)).toMatchObject({ v: 2, lastId: fresh, queriedAt: '2026-05-01T11:00:00.000Z' });
    expect(decodeCursor(pages[0]!.cursor)).toEqual(
      decodeCursor(
        encodeCursor({ ts: new Date('2026-05-01T10:20:00Z'), lastId: fresh, queriedAt: new Date('2026-05-01T11:00:00Z'), seen: [] }),
      ),
    );
  });
});
