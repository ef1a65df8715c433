import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredScore } from '../../../src/store/repos/scores.ts';
import { actionTaskOf } from '../../../src/sync/steps/track-actions.ts';
import { aDeal } from '../../helpers/builders.ts';
import { insertScores } from '../../helpers/scores.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';

const at = (iso: string): Date => new Date(iso);

const score = (externalId: string, scoredAt: string, s: number, category: string, actions: unknown[] = []): StoredScore => ({
  source: 'salesforce',
  externalId,
  modelId: null,
  scoredAt: at(scoredAt),
  score: s,
  category,
  winProbability: 1 - s / 100,
  modelStatus: 'ok',
  inputHash: 'h',
  detail: { actions },
});

/** A task row the outbox sent (as the tasks step leaves it), straight into the table. */
async function sentTask(t: TestStore, tenantId: string, dealId: string, action: string, sentAt: string, taskId: string): Promise<void> {
  const key = `${dealId}:${action}`;
  await t.store.db
    .insertInto('writebacks')
    .values({
      tenant_id: tenantId,
      connection_id: null,
      source: 'salesforce',
      external_id: dealId,
      kind: 'task',
      key: `salesforce:${key}`,
      payload: JSON.stringify({ key, dealExternalId: dealId, ownerId: 'U1', subject: action, description: '', priority: 'normal' }),
      status: 'sent',
      attempts: 1,
      sent_at: at(sentAt),
      updated_at: at(sentAt),
      result: JSON.stringify({ status: 'created', taskId }),
    })
    .execute();
}

describe('playbook tasks and what became of them (store)', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
    for (const id of ['t1', 't2']) await t.store.tenants.ensure(id);
    const deals = ['D1', 'D2'].map((externalId) =>
      aDeal({
        tenantId: 't1',
        source: 'salesforce',
        externalId,
        owner: { id: 'U1', name: 'Ann' },
        account: { id: 'a', name: 'Acme', industry: null, region: null, country: null, size: 'SMB' },
      }),
    );
    await t.store.deals.upsertMany(
      't1',
      deals.map((deal) => ({ deal })),
      at('2026-03-01T00:00:00Z'),
    );
    await insertScores(t.store, 't1', [
      score('D1', '2026-03-01T08:00:00Z', 55, 'High', [{ action: 'multithread', rule: 'single_threaded' }]),
      score('D1', '2026-03-01T10:00:00Z', 80, 'Critical', [{ action: 'multithread', rule: 'single_threaded' }]),
      score('D1', '2026-03-10T10:00:00Z', 40, 'Medium'),
      score('D1', '2026-03-20T10:00:00Z', 20, 'Low'),
      score('D2', '2026-03-01T08:00:00Z', 60, 'High'),
    ]);
    await sentTask(t, 't1', 'D1', 'multithread', '2026-03-01T09:00:00Z', 'T1');
    await sentTask(t, 't1', 'D1', 'critical-alert:2026-03-01', '2026-03-01T09:00:00Z', 'T2');
    await sentTask(t, 't1', 'D2', 'deal_review', '2026-03-02T09:00:00Z', 'T3');
  });
  afterAll(async () => t?.drop());

  it('takes in sent tasks with the score in force when each was sent, once, and only for the tenant', async () => {
    const sent = await t.store.actionTasks.sentSince('t1', 'salesforce', { since: null, after: null, limit: 100 });
    expect(sent.map((s) => [s.externalId, s.requestKey, s.taskId, s.score, s.category, s.ownerName, s.size])).toEqual([
      ['D1', 'D1:multithread', 'T1', 55, 'High', 'Ann', 'SMB'],
      ['D1', 'D1:critical-alert:2026-03-01', 'T2', 55, 'High', 'Ann', 'SMB'],
      ['D2', 'D2:deal_review', 'T3', 60, 'High', 'Ann', 'SMB'],
    ]);
    const rows = sent.flatMap((s) => actionTaskOf(s, 'salesforce') ?? []);
    expect(rows.map((r) => [r.action, r.rule, r.segment])).toEqual([
      ['multithread', 'single_threaded', 'Company size: SMB'],
      ['deal_review', null, 'Company size: SMB'],
    ]);
    expect(await t.store.actionTasks.insert('t1', rows)).toBe(2);
    expect(await t.store.actionTasks.insert('t1', rows)).toBe(0);
    const again = await t.store.actionTasks.sentSince('t1', 'salesforce', { since: null, after: null, limit: 100 });
    expect(again.map((s) => s.requestKey)).toEqual(['D1:critical-alert:2026-03-01']);
    const later = await t.store.actionTasks.sentSince('t1', 'salesforce', { since: at('2026-03-02T00:00:00Z'), after: null, limit: 100 });
    expect(later).toEqual([]);
    expect(await t.store.actionTasks.sentSince('t2', 'salesforce', { since: null, after: null, limit: 100 })).toEqual([]);
    expect(await t.store.actionTasks.recommendations('t2')).toEqual([]);
  });

  it('records what the CRM reports of open tasks, changing only those still open', async () => {
    const open = await t.store.actionTasks.openTracked('t1', 'salesforce', at('2026-02-01T00:00:00Z'));
    expect(open.map((o) => o.taskId)).toEqual(['T1', 'T3']);
    expect(await t.store.actionTasks.openTracked('t1', 'salesforce', at('2026-03-02T00:00:00Z'))).toHaveLength(1);
    const done = at('2026-03-04T12:00:00Z');
    const n = await t.store.actionTasks.applyStatuses(
      't1',
      'salesforce',
      [
        { taskId: 'T1', status: 'completed', completedAt: done },
        { taskId: 'T3', status: 'open', completedAt: null },
      ],
      at('2026-03-05T00:00:00Z'),
    );
    expect(n).toBe(1);
    // Reported again later (another completion stamp): the first one stands.
    await t.store.actionTasks.applyStatuses('t1', 'salesforce', [{ taskId: 'T1', status: 'deleted', completedAt: null }], done);
    expect(
      await t.store.actionTasks.applyStatuses('t2', 'salesforce', [{ taskId: 'T3', status: 'deleted', completedAt: null }], done),
    ).toBe(0);
    const recs = await t.store.actionTasks.recommendations('t1');
    expect(recs.map((r) => [r.dealKey, r.action, r.band, r.score, r.completedAt, r.dismissed])).toEqual([
      ['salesforce:D1', 'multithread', 'High', 55, done, false],
      ['salesforce:D2', 'deal_review', 'High', 60, null, false],
    ]);
  });

  it("gives each recommended deal's outcome and its latest score within the follow-up", async () => {
    const courses = await t.store.actionTasks.courses('t1', { followDays: 14 });
    expect(courses.get('salesforce:D1')).toEqual({
      status: 'open',
      closedAt: null,
      scores: [{ at: at('2026-03-10T10:00:00Z'), score: 40 }],
    });
    expect(courses.get('salesforce:D2')).toEqual({ status: 'open', closedAt: null, scores: [] });
    const short = await t.store.actionTasks.courses('t1', { followDays: 1 });
    // Within a day of 09:00: the 10:00 score.
    expect(short.get('salesforce:D1')!.scores).toEqual([{ at: at('2026-03-01T10:00:00Z'), score: 80 }]);
  });

  it('keeps marks per tenant and CRM', async () => {
    expect(await t.store.actionTasks.marks('t1', 'hubspot')).toEqual({ importedUntil: null, readMark: null, readAt: null });
    await t.store.actionTasks.saveMarks('t1', 'hubspot', { importedUntil: at('2026-03-01T00:00:00Z') });
    await t.store.actionTasks.saveMarks('t1', 'hubspot', { readMark: 'm1', readAt: at('2026-03-02T00:00:00Z') });
    expect(await t.store.actionTasks.marks('t1', 'hubspot')).toEqual({
      importedUntil: at('2026-03-01T00:00:00Z'),
      readMark: 'm1',
      readAt: at('2026-03-02T00:00:00Z'),
    });
    expect((await t.store.actionTasks.marks('t2', 'hubspot')).readMark).toBeNull();
  });
});
