import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryCredentials, makeConnector, oauthCredentials, TestClock } from './support/connector.ts';
import { recorded } from './support/fake-hubspot.ts';

const API = 'https://api.hubapi.com';
beforeEach(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

/** A completed task as HubSpot returns it (the recorded update-task answer), under another id. */
function completedTask(id: string, completedAt: string): Record<string, unknown> {
  const r = recorded('update-task.test.json', 'patch', '/crm/v3/objects/tasks/477950799045').response as {
    properties: Record<string, string>;
  };
  return {
    ...r,
    id,
    properties: { ...r.properties, hs_object_id: id, hs_task_completion_date: completedAt, hs_lastmodifieddate: completedAt },
  };
}

describe('HubSpot readTaskStates', () => {
  it('searches the followed ids, 100 a search, for completed ones, on the search budget, and reads their completion dates', async () => {
    const clock = new TestClock();
    const ids = Array.from({ length: 150 }, (_, i) => String(480_000_000_000 + i));
    type SearchBody = { filterGroups: Array<{ filters: Array<{ values?: string[] }> }> };
    const bodies: SearchBody[] = [];
    nock(API)
      .post('/crm/v3/objects/tasks/search', (b: SearchBody) => bodies.push(b) > 0)
      .reply(200, { total: 1, results: [completedTask(ids[3]!, '2026-03-12T07:36:50.568Z')] })
      .post('/crm/v3/objects/tasks/search', (b: SearchBody) => bodies.push(b) > 0)
      .reply(200, { total: 0, results: [] });
    const hs = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const r = await hs.readTaskStates!({ taskIds: ids, mark: null, since: new Date('2026-03-01T00:00:00Z') });
    expect(nock.isDone()).toBe(true);
    expect(bodies.map((b) => b.filterGroups[0]!.filters[0]!.values!.length)).toEqual([100, 50]);
    expect(bodies[0]!.filterGroups).toEqual([
      {
        filters: [
          { propertyName: 'hs_object_id', operator: 'IN', values: ids.slice(0, 100) },
          { propertyName: 'hs_task_status', operator: 'EQ', value: 'COMPLETED' },
        ],
      },
    ]);
    expect(r).toEqual({ states: [{ taskId: ids[3], status: 'completed', completedAt: new Date('2026-03-12T07:36:50.568Z') }], mark: null });
    expect(hs.hubspotUsage().byOperation).toEqual({ 'search tasks': 2 });
  });
});
