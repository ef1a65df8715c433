import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syncTenant } from '../../../src/sync/sync-tenant.ts';
import { HOUR, testClock, testConfig, testContext } from './helpers/context.ts';
import { fakeScorer } from './helpers/fake-scorer.ts';
import { FileCrm } from './helpers/file-crm.ts';
import { finishRun, type KillPoint, killAtEach, pointName, runChild, workerDatabase } from './helpers/kill-worker.ts';

const CHILD = path.join(import.meta.dirname, 'fixtures/sync-child.ts');
const T0 = '2026-11-24T10:00:00Z';
const T1 = new Date(new Date(T0).getTime() + HOUR).toISOString();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * Kill points (and which occurrence: the second page, the second write batch...), in two
 * chains: the worker dies at the first, its successor dies at the second, and so on, until a
 * last one finishes the run. Every point of a run is hit once across the two chains.
 */
const CHAINS: KillPoint[][] = [
  [{ at: 'page-stored', nth: 2 }, { at: 'scored' }, { at: 'fields-called', nth: 2 }, { at: 'alerts-raised' }, { at: 'tasks-recorded' }],
  [{ at: 'cursor-saved', nth: 2 }, { at: 'queued' }, { at: 'fields-recorded' }, { at: 'tasks-called' }, { at: 'recorded' }],
];

const CHANGED = ['D01', 'D02', 'D03', 'D04', 'D05', 'D06'];
const NEW = ['N1', 'N2', 'N3', 'N4'];

describe('a worker killed with SIGKILL in the middle of a run', () => {
  it.each(CHAINS.map((c) => [c.map(pointName).join(' → '), c] as const))(
    'leaves nothing lost or doubled when killed at %s, restarted each time',
    async (_name, chain) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-kill-'));
      dirs.push(dir);
      const db = await workerDatabase(dir);
      const crm = new FileCrm(path.join(dir, 'crm.json'));

      // Hour 0, in this process: the first sync of 17 deals, then its echoes.
      crm.put(...Array.from({ length: 17 }, (_, i) => ({ Id: `D${String(i + 1).padStart(2, '0')}`, Risk: 20 + i * 3 })));
      {
        const store = await db.open();
        const clock = testClock(T0);
        await store.tenants.ensure('t1');
        await store.connections.create('t1', { crm: 'salesforce' }, clock.now());
        const deps = {
          ctx: testContext(store, clock),
          scorer: fakeScorer(store).scorer,
          holder: 'worker-1',
          connectorFor: async () => crm.connector({ pageSize: 5 }),
        };
        await syncTenant(deps, 't1', { base: testConfig(), trigger: 'test' });
        await syncTenant(deps, 't1', { base: testConfig(), trigger: 'test' });
        await store.close();
      }
      const before = crm.read();

      // Hour 1: six deals enter Critical, four new ones arrive; the worker dies at `point`.
      crm.put(...CHANGED.map((Id) => ({ Id, Risk: 85 })), ...NEW.map((Id, i) => ({ Id, Risk: i % 2 ? 90 : 30 })));
      const run = (env: Record<string, string>) => runChild(CHILD, { ...db.env, CRM_FILE: crm.file, CLOCK: T1, ...env });
      await killAtEach(run, chain);
      const inDoubtWrites = chain.some((p) => 'at' in p && p.at === 'fields-called');
      const inDoubtTasks = chain.some((p) => 'at' in p && p.at === 'tasks-called');
      await finishRun(run);

      const after = crm.read();
      const store = await db.open();
      try {
        // Every deal ends scored and written: nothing pending, every written value sent.
        const states = await Promise.all([...CHANGED, ...NEW].map((id) => store.syncState.get('t1', 'salesforce', id)));
        expect(states.map((s) => s?.score)).toEqual([85, 85, 85, 85, 85, 85, 30, 90, 30, 90]);
        const outbox = await store.outbox.countByStatus('t1');
        expect(Object.keys(outbox).filter((k) => !k.endsWith('.sent'))).toEqual([]);
        // ...and scored once in this hour.
        for (const id of [...CHANGED, ...NEW])
          expect((await store.scores.history('t1', 'salesforce', id)).filter((s) => s.scoredAt.toISOString() === T1)).toHaveLength(1);

        // Written exactly once. The one window no outbox can close is a batch the CRM applied
        // while the process died before recording it: that batch is sent again, with the same
        // values (an idempotent PATCH), and nothing else is.
        const writes = after.writes.slice(before.writes.length);
        const perDeal = new Map<string, number>();
        for (const w of writes) perDeal.set(w.id, (perDeal.get(w.id) ?? 0) + 1);
        expect([...perDeal.keys()].sort()).toEqual([...CHANGED, ...NEW].sort());
        const doubled = [...perDeal].filter(([, n]) => n > 1).map(([id]) => id);
        if (inDoubtWrites)
          expect(doubled.length).toBeLessThanOrEqual(4); // one batch of 4
        else expect(doubled).toEqual([]);
        for (const id of [...CHANGED, ...NEW]) expect(after.records[id]!.written?.score).toBe(after.records[id]!.Risk);

        // No task duplicated: each key created once; asked for again only after an in-doubt call.
        const keys = Object.keys(after.tasks);
        expect(after.taskCreates).toBe(keys.length);
        const expected = [...CHANGED, 'N2', 'N4'].flatMap((id) => [`${id}:exec-call`, `${id}:milestones`]);
        for (const k of expected) expect(keys).toContain(k);
        const asked = Object.entries(after.taskRequests)
          .filter(([, n]) => n > 1)
          .map(([k]) => k);
        if (inDoubtTasks)
          expect(asked.length).toBeLessThanOrEqual(3); // one batch of 3
        else expect(asked).toEqual([]);

        // One alert per deal that entered Critical (the new Critical ones count too).
        const alerts = await store.alerts.list('t1');
        expect(alerts.map((a) => a.externalId).sort()).toEqual([...CHANGED, 'N2', 'N4'].sort());
        expect(keys.filter((k) => k.includes(':critical-alert:'))).toHaveLength(8);

        // The dead runs are closed (as failed), the last one succeeded; none is left running.
        const runs = await store.syncRuns.list('t1', { limit: chain.length + 1 });
        expect(runs[0]!.status).toBe('succeeded');
        expect(runs.filter((r) => r.status === 'running')).toEqual([]);
        expect(runs.filter((r) => r.status === 'failed').length).toBeGreaterThanOrEqual(chain.length - 1);
      } finally {
        await store.close();
        await db.drop();
      }
    },
    200_000,
  ); // 17 s in a full run; 97 s seen on 2 cores under a load of 13
});
