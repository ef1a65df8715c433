import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectorFor, INSTANCE, memoryCredentials, queryPage, setupNock, sfHeaders, soqlMatching, teardownNock, V } from './helpers.ts';

beforeEach(setupNock);
afterEach(teardownNock);

/** A Task row as REST queryAll returns it (datetimes with +0000, booleans as JSON booleans). */
const taskRow = (Id: string, o: { closed?: boolean; deleted?: boolean; completed?: string | null; stamp: string }) => ({
  attributes: { type: 'Task', url: `${V}/sobjects/Task/${Id}` },
  Id,
  IsClosed: o.closed ?? false,
  IsDeleted: o.deleted ?? false,
  Status: o.closed ? 'Completed' : 'Not Started',
  CompletedDateTime: o.completed ?? null,
  SystemModstamp: o.stamp,
});

describe('Salesforce readTaskStates', () => {
  it('asks once, through queryAll, for keyed tasks changed since the mark, and reports the followed ones done or deleted', async () => {
    const sent: string[] = [];
    const scope = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(
        soqlMatching((q) => {
          sent.push(q);
          return q.startsWith('SELECT Id, IsClosed, IsDeleted, Status, CompletedDateTime, SystemModstamp FROM Task WHERE ');
        }),
      )
      .reply(
        200,
        queryPage([
          taskRow('00TdM0000001AAAAA1', { closed: true, completed: '2026-05-03T14:02:11.000+0000', stamp: '2026-05-03T14:02:11.000+0000' }),
          taskRow('00TdM0000001AAAAA2', { stamp: '2026-05-03T15:00:00.000+0000' }),
          taskRow('00TdM0000001AAAAA3', { deleted: true, stamp: '2026-05-04T08:30:00.000+0000' }),
          // Closed without a completion stamp (an odd closed status): done at its last change.
          taskRow('00TdM0000001AAAAA4', { closed: true, stamp: '2026-05-04T09:00:00.000+0000' }),
          // Not one we follow (done long ago, or another tenant's key prefix): ignored.
          taskRow('00TdM0000009ZZZZZ9', { closed: true, completed: '2026-05-04T10:00:00.000+0000', stamp: '2026-05-04T10:00:00.000+0000' }),
        ]),
        sfHeaders(),
      );
    const sf = await connectorFor(memoryCredentials());
    const r = await sf.readTaskStates!({
      taskIds: ['00TdM0000001AAAAA1', '00TdM0000001AAAAA2', '00TdM0000001AAAAA3', '00TdM0000001AAAAA4'],
      mark: null,
      since: new Date('2026-05-01T09:00:00Z'),
    });
    expect(scope.isDone()).toBe(true);
    expect(sent).toEqual([
      'SELECT Id, IsClosed, IsDeleted, Status, CompletedDateTime, SystemModstamp FROM Task WHERE Risk_Task_Key__c != null AND SystemModstamp >= 2026-05-01T09:00:00Z ORDER BY SystemModstamp ASC, Id ASC',
    ]);
    expect(r.states).toEqual([
      { taskId: '00TdM0000001AAAAA1', status: 'completed', completedAt: new Date('2026-05-03T14:02:11Z') },
      { taskId: '00TdM0000001AAAAA3', status: 'deleted', completedAt: null },
      { taskId: '00TdM0000001AAAAA4', status: 'completed', completedAt: new Date('2026-05-04T09:00:00Z') },
    ]);
    // The next read starts 5 minutes before the newest change seen (transactions commit late).
    expect(r.mark).toBe('2026-05-04T09:55:00.000Z');
    expect(sf.usage().calls).toBe(1);
  });

  it('starts the next read at the mark, and keeps it when nothing changed', async () => {
    const sent: string[] = [];
    nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(soqlMatching((q) => sent.push(q) > 0))
      .reply(200, queryPage([]), sfHeaders());
    const sf = await connectorFor(memoryCredentials());
    const r = await sf.readTaskStates!({
      taskIds: ['00TdM0000001AAAAA2'],
      mark: '2026-05-04T09:55:00.000Z',
      since: new Date('2026-01-01T00:00:00Z'),
    });
    expect(sent[0]).toContain('SystemModstamp >= 2026-05-04T09:55:00Z');
    expect(r).toEqual({ states: [], mark: '2026-05-04T09:55:00.000Z' });
  });
});
