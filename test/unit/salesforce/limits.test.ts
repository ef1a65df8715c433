import { describe, expect, it } from 'vitest';
import { decideBudget, parseLimitInfo } from '../../../connectors/salesforce/limits.ts';

describe('Sforce-Limit-Info', () => {
  it('parses the daily usage and ignores the per-app and burst counters', () => {
    expect(parseLimitInfo('api-usage=10018/100000')).toEqual({ used: 10018, limit: 100000 });
    expect(parseLimitInfo('api-usage=17/15000; per-app-api-usage=3/5000(appName=dealrisk)')).toEqual({ used: 17, limit: 15000 });
    expect(parseLimitInfo('per-app-api-usage=3/5000(appName=x); api-usage=9/15000')).toEqual({ used: 9, limit: 15000 });
    expect(parseLimitInfo(undefined)).toBeNull();
    expect(parseLimitInfo('api-bursts=1/750')).toBeNull();
  });
});

describe('API budget', () => {
  const base = { calls: 0, windowCalls: 0, budgetShare: 0.2, orgReserve: 0.05 };

  it('lets the first call through before the allocation is known', () => {
    expect(decideBudget({ ...base, usage: null, windowCalls: 1e9 })).toEqual({ ok: true });
  });

  it('allows calls up to exactly its share, counting earlier runs in the window', () => {
    const usage = { used: 1000, limit: 15000 };
    expect(decideBudget({ ...base, usage, windowCalls: 2990, calls: 9 }).ok).toBe(true); // the 3,000th call
    const d = decideBudget({ ...base, usage, windowCalls: 2990, calls: 10 });
    expect(d.ok).toBe(false);
    expect(!d.ok && d.reason).toMatch(/used 3000 API calls, its 20% share \(3000\)/);
  });

  it('never takes the org reserve, whoever used the rest', () => {
    expect(decideBudget({ ...base, usage: { used: 14249, limit: 15000 } }).ok).toBe(true);
    expect(decideBudget({ ...base, usage: { used: 14250, limit: 15000 } }).ok).toBe(false);
  });
});
