import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/index.ts';
import type { SyncPoint } from '../../../src/sync/run-state.ts';
import { syncTenant } from '../../../src/sync/sync-tenant.ts';
import { createTestStore, TEST_KEY } from '../../helpers/store.ts';
import { HOUR, testClock, testConfig, testContext } from './helpers/context.ts';
import { fakeScorer } from './helpers/fake-scorer.ts';
import { FileCrm } from './helpers/file-crm.ts';

const CHILD = path.join(import.meta.dirname, 'fixtures/sync-child.ts');
const T0 = '2026-11-24T10:00:00Z';
const T1 = new Date(new Date(T0).getTime() + HOUR).toISOString();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Where the worker processes keep their data: a Postgres database, or a PGlite directory. */
async function database(dir: string): Promise<{ env: Record<string, string>; open(): Promise<Store>; drop(): Promise<void> }> {
  if (process.env.TEST_DATABASE_URL) {
    const t = await createTestStore();
    await t.store.close();
    return {
      env: { DB_URL: t.url! },
      open: () => openStore({ url: t.url!, encryptionKey: TEST_KEY, poolSize: 2 }),
      // drop() closes the (already closed) first store before dropping the database.
      drop: () => t.drop().catch((e: unknown) => void e),
    };
  }
  const dataDir = path.join(dir, 'pglite');
  return { env: { DB_DIR: dataDir }, open: () => openStore({ dataDir, encryptionKey: TEST_KEY }), drop: async () => {} };
}

/** Runs the child worker; resolves with how it ended. */
function child(env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('exit', (code, signal) => resolve({ code, signal, out, err }));
  });
}

/**
 * Kill points (and which occurrence: the second page, the second write batch...), in two
 * chains: the worker dies at the first, its successor dies at the second, and so on, until a
 * last one finishes the run. Every point of a run is hit once across the two chains.
 */
const CHAINS: Array<Array<[SyncPoint, number]>> = [
  [['page-stored', 2], ['scored', 1], ['fields-called', 2], ['alerts-raised', 1], ['tasks-recorded', 1]],
  [['cursor-saved', 2], ['queued', 1], ['fields-recorded', 1], ['tasks-called', 1], ['recorded', 1]],
];

const CHANGED = ['D01', 'D02', 'D03', 'D04', 'D05', 'D06'];
const NEW = ['N1', 'N2', 'N3', 'N4'];

describe('a worker killed with SIGKILL in the middle of a run', () => {
  it.each(CHAINS.map((c) => [c.map(([p, n]) => `${p}#${n}`).join(' → '), c] as const))('leaves nothing lost or doubled when killed at %s, restarted each time', async (_name, chain) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-kill-'));
    dirs.push(dir);
    const db = await database(dir);
    const crm = new FileCrm(path.join(dir, 'crm.json'));

    // Hour 0, in this process: the first sync of 17 deals, then its echoes.
    crm.put(...Array.from({ length: 17 }, (_, i) => ({ Id: `D${String(i + 1).padStart(2, '0')}`, Risk: 20 + i * 3 })));
    {
      const store = await db.open();
      const clock = testClock(T0);
      await store.tenants.ensure('t1');
      await store.connections.create('t1', { crm: 'salesforce' }, clock.now());
      const deps = { ctx: testContext(store, clock), scorer: fakeScorer(store).scorer, holder: 'worker-1', connectorFor: async () => crm.connector({ pageSize: 5 }) };
      await syncTenant(deps, 't1', { base: testConfig(), trigger: 'test' });
      await syncTenant(deps, 't1', { base: testConfig(), trigger: 'test' });
      await store.close();
    }
    const before = crm.read();

    // Hour 1: six deals enter Critical, four new ones arrive; the worker dies at `point`.
    crm.put(...CHANGED.map((Id) => ({ Id, Risk: 85 })), ...NEW.map((Id, i) => ({ Id, Risk: i % 2 ? 90 : 30 })));
    for (const [point, nth] of chain) {
      const killed = await child({ ...db.env, CRM_FILE: crm.file, CLOCK: T1, KILL_AT: point, KILL_NTH: String(nth) });
      expect(killed.signal, `${point}#${nth} was not reached: ${killed.err}`).toBe('SIGKILL');
    }
    const inDoubtWrites = chain.some(([p]) => p === 'fields-called');
    const inDoubtTasks = chain.some(([p]) => p === 'tasks-called');
    const restarted = await child({ ...db.env, CRM_FILE: crm.file, CLOCK: T1 });
    expect(restarted.code, restarted.err).toBe(0);
    expect(JSON.parse(restarted.out)).toMatchObject({ status: 'done', runs: [expect.objectContaining({ status: 'succeeded' })] });

    const after = crm.read();
    const store = await db.open();
    try {
      // Every deal ends scored and written: nothing pending, every written value sent.
      const states = await Promise.all([...CHANGED, ...NEW].map((id) => store.syncState.get('t1', 'salesforce', id)));
      expect(states.map((s) => s?.score)).toEqual([85, 85, 85, 85, 85, 85, 30, 90, 30, 90]);
      const outbox = await store.outbox.countByStatus('t1');
      expect(Object.keys(outbox).filter((k) => !k.endsWith('.sent'))).toEqual([]);
      // ...and scored once in this hour.
      for (const id of [...CHANGED, ...NEW]) expect((await store.scores.history('t1', 'salesforce', id)).filter((s) => s.scoredAt.toISOString() === T1)).toHaveLength(1);

      // Written exactly once. The one window no outbox can close is a batch the CRM applied
      // while the process died before recording it: that batch is sent again, with the same
      // values (an idempotent PATCH), and nothing else is.
      const writes = after.writes.slice(before.writes.length);
      const perDeal = new Map<string, number>();
      for (const w of writes) perDeal.set(w.id, (perDeal.get(w.id) ?? 0) + 1);
      expect([...perDeal.keys()].sort()).toEqual([...CHANGED, ...NEW].sort());
      const doubled = [...perDeal].filter(([, n]) => n > 1).map(([id]) => id);
      if (inDoubtWrites) expect(doubled.length).toBeLessThanOrEqual(4); // one batch of 4
      else expect(doubled).toEqual([]);
      for (const id of [...CHANGED, ...NEW]) expect(after.records[id]!.written?.score).toBe(after.records[id]!.Risk);

      // No task duplicated: each key created once; asked for again only after an in-doubt call.
      const keys = Object.keys(after.tasks);
      expect(after.taskCreates).toBe(keys.length);
      const expected = [...CHANGED, 'N2', 'N4'].flatMap((id) => [`${id}:exec-call`, `${id}:milestones`]);
      for (const k of expected) expect(keys).toContain(k);
      const asked = Object.entries(after.taskRequests).filter(([, n]) => n > 1).map(([k]) => k);
      if (inDoubtTasks) expect(asked.length).toBeLessThanOrEqual(3); // one batch of 3
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
  });
});
