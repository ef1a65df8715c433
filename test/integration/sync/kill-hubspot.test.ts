import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyInBody } from '../../../connectors/hubspot/tasks.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { finishRun, type KillPoint, killAtEach, pointName, type WorkerDatabase, withStore, workerDatabase } from './helpers/kill-worker.ts';
import { sandboxWorker } from './helpers/sandbox-worker.ts';

/**
 * A worker syncing a HubSpot portal through the real @hubspot/api-client, SIGKILLed at each point
 * of a run and restarted: after the CRM answered a list or search page, a batch update or a task
 * batch create (the CRM applied it; the worker never learned), and at each named step. Reps keep
 * editing deals while the worker is down. Every write lands, no task is created twice (the
 * sandbox counts tasks per key), and no edit is skipped by the cursor.
 */
const FIRST_SYNC: KillPoint[] = [
  { answered: 'GET /crm/v3/objects/deals', nth: 2 },
  { at: 'page-stored', nth: 2 },
  { at: 'cursor-saved', nth: 2 },
  { at: 'scored' },
  { at: 'queued' },
  { answered: 'POST /crm/v3/objects/deals/batch/update' },
  { at: 'fields-recorded' },
  { answered: 'POST /crm/v3/objects/tasks/batch/create' },
  { at: 'tasks-recorded' },
];
const NEXT_DAY: KillPoint[] = [
  { answered: 'POST /crm/v3/objects/deals/search' },
  { at: 'cursor-saved' },
  { at: 'fields-called' },
  { at: 'alerts-raised' },
  { at: 'tasks-called' },
];

const HOUR = 3_600_000;
/** How long a change takes to show in the sandbox's CRM search (its option, set below). */
const SEARCH_LAG_MS = 5_000;

let sb: Sandbox;
let db: WorkerDatabase;
let worker: Awaited<ReturnType<typeof sandboxWorker>>;
let dir: string;
/** Amounts reps set, by deal id: the store must catch up with every one. */
const edited = new Map<string, number>();

beforeAll(async () => {
  sb = await startSandbox({
    deals: 700,
    seed: 7,
    hubspot: { riskProperties: 'ready', searchLagMs: SEARCH_LAG_MS },
    taskCompletionDays: null,
  });
  dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-kill-hs-'));
  db = await workerDatabase(dir);
  // Scores from the deal's id, amount and day (helpers/daily-scorer.ts): as many writes, tasks
  // and alerts whatever the real model makes of these deals.
  worker = await sandboxWorker(sb, 'hubspot', db, { scorer: 'daily' });
});
afterAll(async () => {
  await db?.drop();
  await sb?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Reps edit the amount of `n` open or closed deals through the API (from the `offset`-th not
 * edited yet). Closed deals are never written back, so only the cursor brings their edits in.
 */
async function repEdits(n: number, status: 'open' | 'closed', offset = 0): Promise<void> {
  const token = sb.hubspot.issueTokens().access_token;
  const some = sb.state.hubspot.deals().filter((d) => d.properties.hs_is_closed === String(status === 'closed') && !edited.has(d.id));
  const inputs = some.slice(offset, offset + n).map((d) => {
    edited.set(d.id, 1000 + edited.size * 7);
    return { id: d.id, properties: { amount: String(edited.get(d.id)) } };
  });
  for (let i = 0; i < inputs.length; i += 100) {
    const r = await fetch(`${sb.hubspot.apiBase}/crm/v3/objects/deals/batch/update`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: inputs.slice(i, i + 100) }),
    });
    expect(r.status).toBe(200);
  }
}

/** The tenant's HubSpot cursor as the last worker left it. */
const savedCursor = () =>
  withStore(
    db,
    async (store) => JSON.parse((await store.connections.list('t1'))[0]!.cursor!) as { run?: { lastId: string | null } | null },
  );

/** Risk-field writes the portal received, per deal, from `from` on. */
function writesPerDeal(from: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of sb.state.hubspot.propertyWrites.slice(from))
    if (w.type === 'deals' && w.properties.risk_score !== undefined) out.set(w.id, (out.get(w.id) ?? 0) + 1);
  return out;
}

/** Every open deal carries the risk values the store holds for it; nothing waits in the outbox. */
async function expectAllWritten(store: Store): Promise<void> {
  const scores = new Map((await store.scores.latest('t1')).map((s) => [s.externalId, s]));
  const open = sb.state.hubspot.deals().filter((d) => d.properties.hs_is_closed === 'false');
  expect(open.length).toBeGreaterThan(100);
  for (const d of open) {
    const s = scores.get(d.id);
    expect({ id: d.id, score: d.properties.risk_score, category: d.properties.risk_category }).toEqual({
      id: d.id,
      score: String(s?.score),
      category: s?.category,
    });
  }
  expect(Object.keys(await store.outbox.countByStatus('t1')).filter((k) => !k.endsWith('.sent'))).toEqual([]);
}

/**
 * One task per key in the portal, each on its deal: every High and Critical deal's follow-ups
 * (helpers/daily-scorer.ts: a call now, milestones this week), exactly the tasks the outbox sent.
 */
async function expectTasksOnce(store: Store): Promise<void> {
  const inPortal = sb.state.hubspot.tasks().map((t) => ({ key: keyInBody(t.properties.hs_task_body)!, deals: t.deals }));
  const perKey = new Map<string, number>();
  for (const t of inPortal) perKey.set(t.key, (perKey.get(t.key) ?? 0) + 1);
  expect([...perKey].filter(([, n]) => n > 1)).toEqual([]);
  for (const t of inPortal) expect(t.deals).toEqual([t.key.split(':')[0]]);
  const high = (await store.scores.latest('t1')).filter((s) => s.score > 50);
  expect(high.length).toBeGreaterThan(0);
  for (const s of high)
    for (const action of ['exec-call', 'milestones']) expect(perKey.get(`${s.externalId}:${action}`), `${s.externalId}:${action}`).toBe(1);
  const sent = await store.outbox.list('t1', { kind: 'task' });
  expect(sent.filter((t) => t.status !== 'sent')).toEqual([]);
  expect([...perKey.keys()].sort()).toEqual(sent.map((t) => t.payload.key as string).sort());
}

/** The dead runs were closed as failed, none is left running, the last one succeeded. */
async function expectRunsClosed(store: Store, killed: number): Promise<void> {
  const runs = await store.syncRuns.list('t1', { limit: killed + 1 });
  expect(runs[0]!.status).toBe('succeeded');
  expect(runs.filter((r) => r.status === 'running')).toEqual([]);
  expect(runs.filter((r) => r.status === 'failed').length).toBeGreaterThanOrEqual(killed - 1);
}

describe('a worker syncing a HubSpot portal, SIGKILLed mid-run and restarted each time', () => {
  it(`finishes a first sync exactly once: ${FIRST_SYNC.map(pointName).join(' → ')}`, async () => {
    await killAtEach(worker.run, FIRST_SYNC, () => repEdits(3, 'open'));
    await finishRun(worker.run);

    await withStore(db, async (store) => {
      // Every deal the portal holds was delivered and stored.
      const deals = sb.state.hubspot.deals();
      expect((await store.deals.list('t1', { limit: 10_000 })).map((d) => d.externalId).sort()).toEqual(deals.map((d) => d.id).sort());
      await expectAllWritten(store);
      // Scored once each: no kill made a later worker score a deal again.
      const scores = await store.scores.latest('t1');
      for (const s of scores) expect(await store.scores.history('t1', 'hubspot', s.externalId)).toHaveLength(1);
      // Written once each, but for the one batch HubSpot applied as the worker died: sent again
      // with the same values (at most 100 deals, one HubSpot batch).
      const writes = writesPerDeal(0);
      expect([...writes.keys()].sort()).toEqual(scores.map((s) => s.externalId).sort());
      expect([...writes.values()].filter((n) => n > 2)).toEqual([]);
      expect([...writes.values()].filter((n) => n === 2).length).toBeLessThanOrEqual(100);
      await expectTasksOnce(store);
      // More tasks than one HubSpot batch create takes: the kill after the first landed mid-batch.
      expect(sb.state.hubspot.tasks().length).toBeGreaterThan(100);
      await expectRunsClosed(store, FIRST_SYNC.length);
    });
  }, 360_000); // 10 worker processes: 161 s seen on 2 cores under a load of 11

  it(`finishes the next day's sync exactly once, edits made while it was down included: ${NEXT_DAY.map(pointName).join(' → ')}`, async () => {
    sb.clock.advance({ hours: 23 });
    // More changes than one search page holds (200), so the run pages through its window by id.
    await repEdits(5, 'open', 10);
    await repEdits(150, 'closed');
    const editedBefore = new Map(edited);
    // Edits two seconds before the run: not in CRM search yet when it reads.
    sb.clock.advance({ ms: HOUR - 2_000 });
    await repEdits(3, 'closed');
    const inLag = [...edited.keys()].filter((id) => !editedBefore.has(id));
    sb.clock.advance({ ms: 2_000 });
    const day = sb.clock.now();
    const writesBefore = sb.state.hubspot.propertyWrites.length;
    await killAtEach(worker.run, NEXT_DAY, async (p) => {
      if ('at' in p && p.at === 'cursor-saved')
        expect((await savedCursor()).run?.lastId, 'the worker died with its cursor mid-window').toEqual(expect.any(String));
      await repEdits(2, 'closed');
    });
    await finishRun(worker.run);

    await withStore(db, async (store) => {
      // The edits search showed this run, those made during the first sync's outages included, are stored.
      for (const [id, amount] of editedBefore)
        expect({ id, amount: (await store.deals.get('t1', 'hubspot', id))?.amount }).toEqual({ id, amount });
      // (Those two seconds old were not: the next run must bring them.)
      for (const id of inLag) expect((await store.deals.get('t1', 'hubspot', id))?.amount, id).not.toBe(edited.get(id));
      await expectAllWritten(store);
      // Each deal scored at most once at this run's time.
      for (const s of await store.scores.latest('t1')) {
        const today = (await store.scores.history('t1', 'hubspot', s.externalId)).filter((h) => h.scoredAt.getTime() === day.getTime());
        expect(today.length).toBeLessThanOrEqual(1);
      }
      const writes = writesPerDeal(writesBefore);
      expect(writes.size).toBeGreaterThan(0);
      expect([...writes.values()].filter((n) => n > 2)).toEqual([]);
      expect([...writes.values()].filter((n) => n === 2).length).toBeLessThanOrEqual(200);
      await expectTasksOnce(store);
      // One alert per deal that entered Critical, its task in the portal once (expectTasksOnce).
      const alerts = await store.alerts.list('t1');
      expect(alerts.length).toBeGreaterThan(0);
      expect(new Set(alerts.map((a) => a.externalId)).size).toBe(alerts.length);
      const keys = new Set(sb.state.hubspot.tasks().map((t) => keyInBody(t.properties.hs_task_body)));
      for (const a of alerts) expect(keys.has(`${a.externalId}:critical-alert:${day.toISOString().slice(0, 10)}`), a.externalId).toBe(true);
      await expectRunsClosed(store, NEXT_DAY.length);
    });

    // An hour later: the edits search did not show yet and those reps made while the worker was
    // down (at the very time of the run, so after its window) come in with the next run, and the
    // cursor skipped no deal.
    sb.clock.advance({ hours: 1 });
    const at = sb.clock.now().getTime();
    await finishRun(worker.run);
    await withStore(db, async (store) => {
      for (const [id, amount] of edited)
        expect({ id, amount: (await store.deals.get('t1', 'hubspot', id))?.amount }).toEqual({ id, amount });
      const stored = new Map((await store.deals.list('t1', { limit: 10_000 })).map((d) => [d.externalId, d]));
      const visible = sb.state.hubspot.deals().filter((d) => Date.parse(d.properties.hs_lastmodifieddate!) < at - SEARCH_LAG_MS);
      expect(visible.length).toBeGreaterThan(500);
      for (const d of visible) {
        const s = stored.get(d.id);
        expect({ id: d.id, amount: s?.amount ?? null, open: s?.stage.status === 'open' }).toEqual({
          id: d.id,
          amount: d.properties.amount ? Number(d.properties.amount) : null,
          open: d.properties.hs_is_closed === 'false',
        });
      }
      await expectAllWritten(store);
      await expectTasksOnce(store);
    });
  }, 300_000); // 7 worker processes: 101 s seen on 2 cores under a load of 11
});
