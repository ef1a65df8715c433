import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allPages, connectorFor, memoryCredentials, setupNock, teardownNock } from './helpers.ts';
import { FakeOrg } from './support/fake-org.ts';

beforeEach(setupNock);
afterEach(teardownNock);

describe('Salesforce connector on a 4,500-opportunity org', () => {
  it('delivers every opportunity exactly once across 2,000-row pages, each with its own history', async () => {
    const org = new FakeOrg({ opportunities: 4500, changedWithinMs: 30 * 24 * 3_600_000 });
    const sf = await connectorFor(memoryCredentials(), { history: true });

    const pages = await allPages(sf.fetchChanges({ cursor: null }));

    const ids = pages.flatMap((p) => p.records.map((r) => r.id));
    expect(ids).toHaveLength(4500);
    expect(new Set(ids).size).toBe(4500);
    expect(pages.map((p) => p.records.length)).toEqual([2000, 2000, 500]);
    // Range-scoped history queries found each page's own rows, and only those.
    for (const r of pages.flatMap((p) => p.records)) {
      expect(r.data._derived).toMatchObject({ openTaskCount: 1, contactRoleCount: 2, closeDatePushes: 2 });
    }
    expect(org.calls['query Opportunity'] + org.calls['queryMore Opportunity']!).toBe(3);
    expect(sf.usage().calls).toBe(org.totalCalls);
    org.stop();
  });
});
