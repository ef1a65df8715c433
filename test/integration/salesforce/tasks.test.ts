import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskRequest } from '../../../connectors/types.ts';
import {
  connectorFor,
  INSTANCE,
  memoryCredentials,
  queryPage,
  setupNock,
  sfHeaders,
  sfId,
  soqlMatching,
  teardownNock,
  USER_ID,
  V,
} from './helpers.ts';

beforeEach(setupNock);
afterEach(teardownNock);

function aTask(overrides: Partial<TaskRequest> = {}): TaskRequest {
  const deal = overrides.dealExternalId ?? sfId();
  return {
    key: `${deal}:call-economic-buyer`,
    dealExternalId: deal,
    ownerId: USER_ID,
    subject: 'Risk: call the economic buyer',
    description: 'No activity for 41 days and the close date moved 3 times. Confirm budget and timing.',
    priority: 'high',
    dueDate: new Date('2026-05-04T00:00:00Z'),
    ...overrides,
  };
}

const existingTask = (key: string, o: { IsClosed?: boolean; IsDeleted?: boolean } = {}) => ({
  attributes: { type: 'Task', url: `${V}/sobjects/Task/00T${key.slice(3, 18)}` },
  Id: `00TdM00000${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
  Risk_Task_Key__c: key,
  WhatId: key.split(':')[0],
  IsClosed: o.IsClosed ?? false,
  IsDeleted: o.IsDeleted ?? false,
  Status: o.IsClosed ? 'Completed' : 'Not Started',
});

describe('Salesforce upsertTasks', () => {
  it('creates only missing tasks, reports open ones, and never recreates a task the rep closed', async () => {
    const fresh = aTask();
    const open = aTask();
    const done = aTask();
    const dismissed = aTask();
    let created: Array<Record<string, unknown>> = [];
    const scope = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(
        soqlMatching(
          (q) =>
            q.startsWith('SELECT Id, Risk_Task_Key__c, WhatId, IsClosed, IsDeleted, Status FROM Task WHERE Risk_Task_Key__c IN (') &&
            q.includes(fresh.key),
        ),
      )
      .reply(
        200,
        queryPage([existingTask(open.key), existingTask(done.key, { IsClosed: true }), existingTask(dismissed.key, { IsDeleted: true })]),
        sfHeaders(),
      )
      .post(`${V}/composite/sobjects`, (b: { allOrNone: boolean; records: Array<Record<string, unknown>> }) => {
        created = b.records;
        return b.allOrNone === false;
      })
      .reply(200, [{ id: '00TdM00000NEWTASK1', success: true, errors: [] }], sfHeaders());
    const sf = await connectorFor(memoryCredentials());

    const results = await sf.upsertTasks([fresh, open, done, dismissed]);

    expect(scope.isDone()).toBe(true);
    expect(results.map((r) => [r.key, r.status, r.ok])).toEqual([
      [fresh.key, 'created', true],
      [open.key, 'open', true],
      [done.key, 'completed', true],
      [dismissed.key, 'completed', true],
    ]);
    expect(results[0]!.taskId).toBe('00TdM00000NEWTASK1');
    expect(created).toEqual([
      {
        attributes: { type: 'Task' },
        WhatId: fresh.dealExternalId,
        OwnerId: USER_ID,
        Subject: fresh.subject,
        Description: fresh.description,
        Priority: 'High',
        ActivityDate: '2026-05-04',
        Status: 'Not Started',
        TaskSubtype: 'Task',
        Risk_Task_Key__c: fresh.key,
      },
    ]);
  });

  it('is idempotent: asking again for the same keys creates nothing', async () => {
    const t = aTask();
    const scope = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, queryPage([]), sfHeaders())
      .post(`${V}/composite/sobjects`)
      .once()
      .reply(200, [{ id: '00TdM00000NEWTASK2', success: true, errors: [] }], sfHeaders())
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, queryPage([{ ...existingTask(t.key), Id: '00TdM00000NEWTASK2' }]), sfHeaders());
    const sf = await connectorFor(memoryCredentials());

    const first = await sf.upsertTasks([t, { ...t }]);
    const second = await sf.upsertTasks([t]);

    expect(scope.isDone()).toBe(true);
    expect(first.map((r) => r.status)).toEqual(['created', 'open']);
    expect(second).toEqual([{ key: t.key, ok: true, status: 'open', taskId: '00TdM00000NEWTASK2' }]);
  });

  it('treats a duplicate key refused by Salesforce as an existing open task', async () => {
    const t = aTask();
    nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, queryPage([]), sfHeaders())
      .post(`${V}/composite/sobjects`)
      .reply(
        200,
        [
          {
            success: false,
            errors: [
              {
                statusCode: 'DUPLICATE_VALUE',
                message: 'duplicate value found: Risk_Task_Key__c duplicates value on record with id: 00T...',
                fields: [],
              },
            ],
          },
        ],
        sfHeaders(),
      );
    const sf = await connectorFor(memoryCredentials());

    const [r] = await sf.upsertTasks([t]);

    expect(r).toEqual({ key: t.key, ok: true, status: 'open' });
  });

  it('looks up the opportunity owner when the request has none', async () => {
    const t = aTask({ ownerId: null });
    let owner: unknown;
    nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, queryPage([]), sfHeaders())
      .get(`${V}/query`)
      .query(soqlMatching((q) => q === `SELECT Id, OwnerId FROM Opportunity WHERE Id IN ('${t.dealExternalId}')`))
      .reply(200, queryPage([{ attributes: { type: 'Opportunity' }, Id: t.dealExternalId, OwnerId: '005dM00000OWNER01' }]), sfHeaders())
      .post(`${V}/composite/sobjects`, (b: { records: Array<{ OwnerId?: string }> }) => {
        owner = b.records[0]!.OwnerId;
        return true;
      })
      .reply(200, [{ id: '00TdM00000NEWTASK3', success: true, errors: [] }], sfHeaders());
    const sf = await connectorFor(memoryCredentials());

    await sf.upsertTasks([t]);

    expect(owner).toBe('005dM00000OWNER01');
  });

  it('reports a rejected task with its Salesforce code without failing the others', async () => {
    const [a, b] = [aTask(), aTask()];
    nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, queryPage([]), sfHeaders())
      .post(`${V}/composite/sobjects`)
      .reply(
        200,
        [
          { id: '00TdM00000NEWTASK4', success: true, errors: [] },
          {
            success: false,
            errors: [{ statusCode: 'INACTIVE_OWNER_OR_USER', message: 'operation performed with inactive user', fields: [] }],
          },
        ],
        sfHeaders(),
      );
    const sf = await connectorFor(memoryCredentials());

    const results = await sf.upsertTasks([a, b]);

    expect(results[0]).toMatchObject({ status: 'created', ok: true });
    expect(results[1]).toEqual({
      key: b.key,
      ok: false,
      status: 'failed',
      error: { code: 'INACTIVE_OWNER_OR_USER', message: 'operation performed with inactive user', retryable: false },
    });
  });
});
