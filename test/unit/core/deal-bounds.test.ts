import { describe, expect, it } from 'vitest';
import { Deal, MAX_AMOUNT } from '../../../src/core/deal.ts';
import { parseMapping } from '../../../src/mapping/schema.ts';
import { compileMapping } from '../../../src/mapping/to-deal.ts';

const base = { tenantId: 't', source: 'hubspot', externalId: 'x', stage: { status: 'open' } } as const;
const issue = (o: Record<string, unknown>) => {
  const r = Deal.safeParse({ ...base, ...o });
  return r.success ? null : `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
};

describe('the canonical deal refuses implausible values, naming the field', () => {
  it('amount: finite, not negative, at most MAX_AMOUNT', () => {
    expect(issue({ amount: 0 })).toBeNull();
    expect(issue({ amount: MAX_AMOUNT })).toBeNull();
    expect(issue({ amount: -5e300 })).toBe('amount: must not be negative (got -5e+300)');
    expect(issue({ amount: 2e15 })).toBe('amount: 2000000000000000 is implausible: amounts above 1e+15 are taken for a data error');
    expect(issue({ amount: Number.NaN })).toBe('amount: must be a finite number (got NaN)');
    expect(issue({ activityCount: -1 })).toBe('activityCount: must not be negative (got -1)');
  });

  it('dates: from 1970 to the end of 2099, and a close no more than two days before the creation', () => {
    expect(issue({ createdAt: new Date('1970-01-01T00:00:00Z'), closedAt: new Date('2099-12-31T00:00:00Z') })).toBeNull();
    expect(issue({ createdAt: new Date('9999-12-31T00:00:00Z'), closedAt: new Date('1970-01-01T00:00:00Z') })).toBe(
      'createdAt: 9999-12-31T00:00:00.000Z is after 2099-12-31',
    );
    expect(issue({ expectedCloseDate: new Date('1969-12-31T23:59:59Z') })).toBe(
      'expectedCloseDate: 1969-12-31T23:59:59.000Z is before 1970-01-01',
    );
    // A date-only close on the day of a timestamped creation, in a time zone behind UTC.
    expect(issue({ createdAt: new Date('2026-03-02T03:00:00Z'), closedAt: new Date('2026-03-01T00:00:00Z') })).toBeNull();
    expect(issue({ createdAt: new Date('2026-03-05T00:00:00Z'), closedAt: new Date('2026-03-01T00:00:00Z') })).toBe(
      'closedAt: 2026-03-01 is before the deal was created (2026-03-05)',
    );
    expect(issue({ stageHistory: [{ stage: 'a', status: 'open', enteredAt: new Date('1960-01-01T00:00:00Z') }] })).toBe(
      'stageHistory.0.enteredAt: 1960-01-01T00:00:00.000Z is before 1970-01-01',
    );
  });

  it('a HubSpot deal with amount -5e300 is rejected by id and field instead of scored', () => {
    const map = compileMapping(
      parseMapping(
        {
          source: 'hubspot',
          object: 'deals',
          id: 'hs_object_id',
          fields: { amount: { from: 'amount', type: 'number' }, 'stage.status': { default: 'open' } },
        },
        'test',
      ),
    );
    expect(map({ id: '42', data: { hs_object_id: '42', amount: '-5e300' } }, { tenantId: 't' })).toEqual({
      ok: false,
      error: { recordId: '42', field: 'amount', reason: 'must not be negative (got -5e+300)' },
    });
  });

  it('an empty id: a CRM record falls back on the id its connector read, a file row is rejected by line', () => {
    const map = compileMapping(
      parseMapping({ source: 'csv', object: 'rows', id: 'deal_id', fields: { 'stage.status': { default: 'open' } } }, 'test'),
    );
    expect(map({ id: '0061x', data: { deal_id: '' } }, { tenantId: 't' })).toMatchObject({ ok: true, deal: { externalId: '0061x' } });
    expect(map({ id: 'line-8', row: 8, data: { deal_id: ' ' } }, { tenantId: 't' })).toEqual({
      ok: false,
      error: { recordId: 'line-8', row: 8, field: 'deal_id', reason: 'is empty: every row needs an id' },
    });
  });
});
