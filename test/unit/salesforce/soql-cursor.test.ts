import { describe, expect, it } from 'vitest';
import { CursorTracker, decodeCursor, encodeCursor, SEEN_MAX } from '../../../connectors/salesforce/cursor.ts';
import {
  invalidFieldIn,
  opportunityQuery,
  pageScope,
  scopeFilter,
  selectList,
  soqlDateTime,
  soqlString,
} from '../../../connectors/salesforce/soql.ts';

describe('SOQL builders', () => {
  it('escapes quotes and backslashes in string literals', () => {
    expect(soqlString("O'Brien \\ co")).toBe("'O\\'Brien \\\\ co'");
  });

  it('writes datetimes in UTC without milliseconds', () => {
    expect(soqlDateTime(new Date('2026-05-01T07:25:37.456Z'))).toBe('2026-05-01T07:25:37Z');
  });

  it('puts the system fields first and refuses anything that is not a field path', () => {
    expect(selectList(['Name', 'Account.Industry', 'Id'])).toEqual([
      'Id',
      'SystemModstamp',
      'IsClosed',
      'IsWon',
      'IsDeleted',
      'Name',
      'Account.Industry',
    ]);
    expect(() => selectList(['Name FROM User --'])).toThrow(/not a Salesforce field path/);
  });

  it('orders the change query by SystemModstamp then Id, and leaves ORDER BY out for Bulk', () => {
    const since = new Date('2026-05-01T09:55:00Z');
    expect(opportunityQuery({ fields: ['Id', 'Name'], since })).toBe(
      'SELECT Id, Name FROM Opportunity WHERE SystemModstamp >= 2026-05-01T09:55:00Z ORDER BY SystemModstamp ASC, Id ASC',
    );
    expect(opportunityQuery({ fields: ['Id'], since: null, ordered: false })).toBe('SELECT Id FROM Opportunity');
  });

  it('resumes strictly after (SystemModstamp, Id) with a keyset', () => {
    const after = { ts: new Date('2026-05-01T10:30:00Z'), lastId: "006A'x" };
    expect(opportunityQuery({ fields: ['Id'], since: null, after })).toBe(
      "SELECT Id FROM Opportunity WHERE (SystemModstamp > 2026-05-01T10:30:00Z OR (SystemModstamp = 2026-05-01T10:30:00Z AND Id > '006A\\'x')) ORDER BY SystemModstamp ASC, Id ASC",
    );
  });

  it('scopes small pages by ids and large ones by the range of their order key', () => {
    const rec = (id: string, iso: string) => ({ id, modifiedAt: new Date(iso) });
    expect(pageScope([rec('006B', '2026-05-01T00:00:00Z')], 'modstamp')).toEqual({ kind: 'ids', ids: ['006B'] });
    const many = Array.from({ length: 201 }, (_, i) =>
      rec(`006${String(i).padStart(3, '0')}`, new Date(Date.parse('2026-05-01T00:00:00Z') + i * 1500).toISOString()),
    );
    expect(pageScope(many, 'id')).toEqual({ kind: 'id-range', from: '006000', to: '006200' });
    const s = pageScope(many, 'modstamp');
    // the last stamp is 00:05:00.000; the filter widens to the enclosing second
    expect(scopeFilter('OpportunityId', s)).toBe(
      'OpportunityId IN (SELECT Id FROM Opportunity WHERE SystemModstamp >= 2026-05-01T00:00:00Z AND SystemModstamp < 2026-05-01T00:05:01Z)',
    );
  });

  it('finds which selected column an INVALID_FIELD error names', () => {
    const selected = ['Id', 'Name', 'Owner.Name', 'Account.Name', 'Account.NumberOfEmployees', 'CurrencyIsoCode'];
    expect(invalidFieldIn("No such column 'CurrencyIsoCode' on entity 'Opportunity'.", selected)).toBe('CurrencyIsoCode');
    expect(invalidFieldIn("No such column 'NumberOfEmployees' on entity 'Account'.", selected)).toBe('Account.NumberOfEmployees');
    expect(invalidFieldIn("No such column 'Name' on entity 'User'.", selected)).toBeNull(); // ambiguous: never guess
    expect(invalidFieldIn("Didn't understand relationship 'Owner' in field path.", selected)).toBe('Owner.Name');
    expect(invalidFieldIn('unexpected token', selected)).toBeNull();
  });
});

describe('sync cursor', () => {
  it('round-trips and accepts a bare ISO start instant', () => {
    const c = { ts: new Date('2026-05-01T10:00:00Z'), seen: ['006A@1'] };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor('2026-04-01T00:00:00Z')).toEqual({ ts: new Date('2026-04-01T00:00:00Z'), seen: [] });
    expect(decodeCursor(null)).toBeNull();
  });

  it('names an unreadable cursor instead of silently starting over', () => {
    expect(() => decodeCursor('{"v":2}')).toThrow(/unreadable Salesforce sync cursor/);
    expect(() => decodeCursor('yesterday')).toThrow(/unreadable/);
  });

  it('moves only forward, starts the next query one overlap earlier, and forgets versions below it', () => {
    const t = new CursorTracker(null, 5 * 60_000);
    expect(t.since()).toBeNull();
    t.add('006A', new Date('2026-05-01T10:00:00Z'));
    t.add('006B', new Date('2026-05-01T09:00:00Z'));
    t.add('006C', new Date('2026-05-01T09:57:00Z'));
    const c = decodeCursor(t.cursor())!;
    expect(c.ts).toEqual(new Date('2026-05-01T10:00:00Z'));
    expect(c.seen.sort()).toEqual([`006A@${Date.parse('2026-05-01T10:00:00Z')}`, `006C@${Date.parse('2026-05-01T09:57:00Z')}`]);
    const next = new CursorTracker(c, 5 * 60_000);
    expect(next.since()).toEqual(new Date('2026-05-01T09:55:00Z'));
    expect(next.has('006C', new Date('2026-05-01T09:57:00Z'))).toBe(true);
    expect(next.has('006C', new Date('2026-05-01T10:01:00Z'))).toBe(false);
  });

  it('uses the keyset alone when the previous query ran more than an overlap after the last change', () => {
    const ts = new Date('2026-05-01T10:30:00Z');
    const quiet = new CursorTracker({ ts, lastId: '006Z', queriedAt: new Date('2026-05-01T11:00:00Z'), seen: [] }, 5 * 60_000);
    expect(quiet.resume()).toEqual({ kind: 'after', ts, lastId: '006Z' });
    const recent = new CursorTracker({ ts, lastId: '006Z', queriedAt: new Date('2026-05-01T10:32:00Z'), seen: [] }, 5 * 60_000);
    expect(recent.resume()).toEqual({ kind: 'window', from: new Date('2026-05-01T10:27:00Z') });
    const v1 = new CursorTracker(decodeCursor(JSON.stringify({ v: 1, ts: ts.toISOString(), seen: [] })), 5 * 60_000);
    expect(v1.resume()).toEqual({ kind: 'window', from: new Date('2026-05-01T10:25:00Z') });
  });

  it('still skips an earlier run’s version later in the same re-read after persisting a page', () => {
    const ts = new Date('2026-05-01T10:30:00Z');
    const t = new CursorTracker(
      { ts, lastId: '006M', queriedAt: new Date('2026-05-01T10:31:00Z'), seen: [`006Z@${ts.getTime()}`] },
      5 * 60_000,
    );
    t.setQueriedAt(new Date('2026-05-01T12:00:00Z'));
    t.add('006A', ts);
    expect(decodeCursor(t.cursor())!.seen).toEqual([]); // the next run resumes after the keyset
    expect(t.has('006Z', ts)).toBe(true);
  });

  it('leaves no keyset after unordered (Bulk) rows, so that instant is re-read', () => {
    const t = new CursorTracker(null, 5 * 60_000);
    t.add('006B', new Date('2026-05-01T10:00:00Z'), false);
    t.setQueriedAt(new Date('2026-05-01T11:00:00Z'));
    const next = new CursorTracker(decodeCursor(t.cursor()), 5 * 60_000);
    expect(next.resume()).toEqual({ kind: 'window', from: new Date('2026-05-01T10:00:00Z') });
    expect(next.has('006B', new Date('2026-05-01T10:00:00Z'))).toBe(true);
  });

  it('keeps the cursor small when a mass update lands in one second', () => {
    const t = new CursorTracker(null, 60_000);
    const at = new Date('2026-05-01T10:00:00Z');
    for (let i = 0; i < SEEN_MAX + 500; i++) t.add(`006${i}`, at);
    expect(decodeCursor(t.cursor())!.seen).toHaveLength(SEEN_MAX);
  });
});
