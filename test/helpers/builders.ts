import { Deal, type DealInput } from '../../src/core/deal.ts';

let seq = 0;

/** A valid open deal; override anything. */
export function aDeal(overrides: Partial<DealInput> = {}): Deal {
  seq += 1;
  return Deal.parse({
    tenantId: 't1',
    source: 'csv',
    externalId: `D${seq}`,
    name: `Deal ${seq}`,
    amount: 10_000,
    currency: 'USD',
    stage: { label: 'Proposal', status: 'open', order: 2 },
    createdAt: new Date('2026-01-05T00:00:00Z'),
    owner: { id: 'u1', name: 'Ada' },
    account: { id: 'a1', name: 'Acme', industry: 'SaaS', region: 'Europe', country: null, size: null },
    ...overrides,
  });
}
