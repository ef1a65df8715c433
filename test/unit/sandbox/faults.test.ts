import { describe, expect, it } from 'vitest';
import { FaultTable, rejectionFor } from '../../../sandbox/faults.ts';

const req = (crm: 'sf' | 'hs', method: string, path: string) => ({ crm, method, path });

describe('fault rules declared as data', () => {
  it('matches on method, CRM and path fragment', () => {
    const t = new FaultTable(1);
    t.add({ on: 'POST hs search', status: 429, policy: 'TEN_SECONDLY_ROLLING' });
    expect(t.take(req('hs', 'POST', '/crm/v3/objects/deals/search'))).toHaveLength(1);
    expect(t.take(req('hs', 'GET', '/crm/v3/objects/deals/search'))).toHaveLength(0);
    expect(t.take(req('sf', 'POST', '/services/data/v66.0/search'))).toHaveLength(0);
    t.clear();
    t.add({ on: 'PATCH composite/sobjects', status: 503 });
    expect(t.take(req('sf', 'PATCH', '/services/data/v66.0/composite/sobjects'))).toHaveLength(1);
    t.clear();
    t.add({ on: 'sf services/data/*/query', status: 500 });
    expect(t.take(req('sf', 'GET', '/services/data/v66.0/query'))).toHaveLength(1);
    expect(t.take(req('hs', 'GET', '/services/data/v66.0/query'))).toHaveLength(0);
  });

  it('fires only `times` times after letting `after` requests through', () => {
    const t = new FaultTable(1);
    t.add({ on: 'GET sf query', status: 503, after: 1, times: 2 });
    const fired = [1, 2, 3, 4].map(() => t.take(req('sf', 'GET', '/services/data/v66.0/query')).length);
    expect(fired).toEqual([0, 1, 1, 0]);
    expect(t.list()).toHaveLength(0);
  });

  it('rejects a bad rule naming the offending key', () => {
    const t = new FaultTable(1);
    expect(() => t.add({ on: 'GET sf query', status: 9999 } as never)).toThrow(/status/);
    expect(() => t.add({ on: 'GET sf query', policy: 'HOURLY' } as never)).toThrow(/policy/);
  });

  it('picks per-record rejections by id or by position', () => {
    const t = new FaultTable(1);
    t.add({ on: 'PATCH composite/sobjects', rejectRecords: { every: 2, statusCode: 'UNABLE_TO_LOCK_ROW' } });
    const rules = t.takeRejections(req('sf', 'PATCH', '/services/data/v66.0/composite/sobjects'));
    expect([1, 2, 3, 4].map((p) => rejectionFor(rules, `id${p}`, p)?.statusCode ?? null)).toEqual([
      null,
      'UNABLE_TO_LOCK_ROW',
      null,
      'UNABLE_TO_LOCK_ROW',
    ]);
    expect(rejectionFor([{ ids: ['x'] }], 'x', 1)).toEqual({ ids: ['x'] });
    expect(rejectionFor([{ ids: ['x'] }], 'y', 1)).toBeNull();
  });
});
