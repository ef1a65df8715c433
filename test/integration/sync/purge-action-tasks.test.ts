import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionTask } from '../../../src/store/repos/action-tasks.ts';
import { purgeTenant } from '../../../src/worker/purge.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';
import { DAY, testClock, testConfig, testContext } from './helpers/context.ts';

const task = (externalId: string, recommendedAt: Date): ActionTask => ({
  taskKey: `salesforce:${externalId}:exec_call`,
  source: 'salesforce',
  externalId,
  action: 'exec_call',
  rule: 'crit',
  taskId: `00T${externalId}`,
  ownerId: 'u1',
  ownerName: 'Ada',
  recommendedAt,
  score: 80,
  category: 'Critical',
  segment: 'SaaS',
});

/** The playbook tasks followed for action outcomes are purged with the score history (retention.scoreHistoryDays). */
describe('retention of action_tasks', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
  });
  afterAll(async () => t?.drop());

  it("purges a tenant's tasks recommended before its scoreHistoryDays, whatever became of them, and no other tenant's", async () => {
    const clock = testClock('2027-06-01T00:00:00Z');
    const ctx = testContext(t.store, clock);
    const config = testConfig();
    const now = clock.now().getTime();
    const ago = (days: number) => new Date(now - days * DAY);
    await t.store.tenants.ensure('t1');
    await t.store.tenants.ensure('t2');
    // t2 keeps score history 30 days only (a tenant override).
    await t.store.tenants.updateSettings('t2', { sync: { retention: { scoreHistoryDays: 30 } } });
    const keep = config.retention.scoreHistoryDays;
    for (const id of ['t1', 't2'])
      await t.store.actionTasks.insert(id, [task('OLD', ago(keep + 1)), task('MID', ago(40)), task('NEW', ago(1))]);
    // A task done long ago goes too: it is the age of the recommendation that counts.
    await t.store.actionTasks.applyStatuses(
      't1',
      'salesforce',
      [{ taskId: '00TOLD', status: 'completed', completedAt: ago(keep) }],
      ago(keep),
    );
    const left = async (id: string) =>
      (await t.store.db.selectFrom('action_tasks').select('external_id').where('tenant_id', '=', id).orderBy('external_id').execute()).map(
        (r) => r.external_id,
      );

    expect((await purgeTenant(ctx, config, 't1')).actionTasks).toBe(1);
    expect(await left('t1')).toEqual(['MID', 'NEW']);
    expect((await purgeTenant(ctx, config, 't2')).actionTasks).toBe(2);
    expect(await left('t2')).toEqual(['NEW']);
    expect((await purgeTenant(ctx, config, 't1')).actionTasks).toBe(0);
  });
});
