import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskRequest } from '../../../connectors/types.ts';
import { openStore, type Store } from '../../../src/store/index.ts';
import { afterFailure, claimDue, MAX_DOUBLINGS, markFailed, markSent, type RetryPolicy, retryDelayMs } from '../../../src/store/queue.ts';
import { createTestStore, TEST_KEY, type TestStore } from '../../helpers/store.ts';

const now = new Date('2026-11-24T10:00:00Z');
const policy: RetryPolicy = { maxAttempts: 4, baseMs: 60_000 };
const at = (ms: number) => new Date(now.getTime() + ms);
const aTask = (dealExternalId: string): TaskRequest => ({
  key: `${dealExternalId}:call`,
  dealExternalId,
  ownerId: null,
  subject: 'Call the buyer',
  description: 'No reply for two weeks',
  priority: 'high',
  dueDate: at(86_400_000),
});

describe('queue backoff', () => {
  it('doubles the wait after each failure, from the base', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(policy, a))).toEqual([60_000, 120_000, 240_000, 480_000]);
  });

  it('stops doubling after ten doublings, however many attempts a policy allows', () => {
    const many: RetryPolicy = { maxAttempts: 100, baseMs: 60_000 };
    const cap = 60_000 * 2 ** MAX_DOUBLINGS;
    expect(retryDelayMs(many, MAX_DOUBLINGS + 1)).toBe(cap);
    expect(retryDelayMs(many, MAX_DOUBLINGS + 2)).toBe(cap);
    expect(retryDelayMs(many, 99)).toBe(cap);
    expect(retryDelayMs(many, MAX_DOUBLINGS)).toBe(cap / 2);
  });

  it('retries a retryable failure until the last allowed attempt, which makes the row dead', () => {
    expect(afterFailure(policy, 1, true, now)).toEqual({ status: 'failed', nextAttemptAt: at(60_000) });
    expect(afterFailure(policy, 3, true, now)).toEqual({ status: 'failed', nextAttemptAt: at(240_000) });
    expect(afterFailure(policy, 4, true, now)).toEqual({ status: 'dead', nextAttemptAt: null });
  });

  it('gives up at once on a failure no retry can cure', () => {
    expect(afterFailure(policy, 1, false, now)).toEqual({ status: 'dead', nextAttemptAt: null });
  });
});

describe('queue lifecycle in the database', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await createTestStore();
    await t.store.tenants.ensure('t1');
    await t.store.tenants.ensure('t2');
  });
  afterEach(async () => t.drop());

  const enqueue = async (tenantId: string, n: number, notBefore = now) => {
    for (let i = 0; i < n; i++) {
      await t.store.deliveries.enqueue(
        tenantId,
        { kind: 'alert', channel: 'slack', key: `${tenantId}:${i}`, payload: { n: i }, notBefore },
        now,
      );
    }
  };
  const deliveryRow = (id: number) =>
    t.store.db
      .selectFrom('deliveries')
      .select(['status', 'attempts', 'last_error', 'next_attempt_at', 'sent_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  it('never lets two workers claim the same row, and every due row is claimed once', { timeout: 60_000 }, async () => {
    await enqueue('t1', 60);
    await enqueue('t2', 60);
    // On Postgres the second worker is a second process's pool on the same database.
    const other: Store = t.url ? await openStore({ url: t.url, encryptionKey: TEST_KEY, migrate: false, poolSize: 4 }) : t.store;
    try {
      const worker = async (store: Store) => {
        const mine: number[] = [];
        for (;;) {
          const got = await claimDue(store.db, 'deliveries', { now, limit: 7, leaseMs: 60_000 });
          if (got.length === 0) return mine;
          mine.push(...got.map((r) => r.id));
        }
      };
      const claimed = (await Promise.all([t.store, other, t.store, other].map(worker))).flat();
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed).toHaveLength(120);
      // A claim holds the rows for the lease: nothing is due again before it passes.
      expect(await claimDue(t.store.db, 'deliveries', { now: at(59_000), limit: 500, leaseMs: 60_000 })).toEqual([]);
      expect(await claimDue(t.store.db, 'deliveries', { now: at(60_000), limit: 500, leaseMs: 60_000 })).toHaveLength(120);
    } finally {
      if (other !== t.store) await other.close();
    }
  });

  it('claims only due rows of the tenant asked for, oldest first', async () => {
    await enqueue('t1', 3);
    await enqueue('t2', 2);
    await t.store.deliveries.enqueue('t1', { kind: 'alert', channel: 'slack', key: 'later', payload: {}, notBefore: at(3_600_000) }, now);
    const got = await claimDue(t.store.db, 'deliveries', { now, limit: 10, leaseMs: 1000, tenantId: 't1' });
    expect(got.map((r) => [r.tenant_id, r.key])).toEqual([
      ['t1', 't1:0'],
      ['t1', 't1:1'],
      ['t1', 't1:2'],
    ]);
  });

  it('backs off each failure, makes the row dead after the last allowed attempt, and never claims it again', async () => {
    await enqueue('t1', 1);
    const [row] = await claimDue(t.store.db, 'deliveries', { now, limit: 1, leaseMs: 1000 });
    const id = row!.id;
    for (const [attempt, wait] of [
      [1, 60_000],
      [2, 120_000],
      [3, 240_000],
    ] as const) {
      const out = await markFailed(t.store.db, 'deliveries', 't1', [{ id, error: `refused ${attempt}`, retryable: true }], now, policy);
      expect(out).toEqual([{ id, attempts: attempt, status: 'failed', nextAttemptAt: at(wait) }]);
      expect(await deliveryRow(id)).toMatchObject({
        status: 'failed',
        attempts: attempt,
        last_error: `refused ${attempt}`,
        next_attempt_at: at(wait),
      });
    }
    const last = await markFailed(t.store.db, 'deliveries', 't1', [{ id, error: 'refused 4', retryable: true }], now, policy);
    expect(last).toEqual([{ id, attempts: 4, status: 'dead', nextAttemptAt: null }]);
    expect(await deliveryRow(id)).toMatchObject({ status: 'dead', attempts: 4, last_error: 'refused 4' });
    expect(await claimDue(t.store.db, 'deliveries', { now: at(365 * 86_400_000), limit: 10, leaseMs: 1000 })).toEqual([]);
  });

  it('caps the wait in the database too, and keeps the first 1,000 characters of a long error', async () => {
    await enqueue('t1', 1);
    const [row] = await claimDue(t.store.db, 'deliveries', { now, limit: 1, leaseMs: 1000 });
    await t.store.db.updateTable('deliveries').set({ attempts: 20 }).where('id', '=', row!.id).execute();
    const many: RetryPolicy = { maxAttempts: 50, baseMs: 1000 };
    await markFailed(t.store.db, 'deliveries', 't1', [{ id: row!.id, error: 'x'.repeat(5000), retryable: true }], now, many);
    const back = await deliveryRow(row!.id);
    expect(back.next_attempt_at).toEqual(at(1000 * 2 ** MAX_DOUBLINGS));
    expect(back.last_error).toHaveLength(1000);
  });

  it("marks sent rows sent, counts the attempt, and touches no other tenant's row", async () => {
    await enqueue('t1', 1);
    await enqueue('t2', 1);
    const rows = await claimDue(t.store.db, 'deliveries', { now, limit: 10, leaseMs: 1000 });
    const mine = rows.find((r) => r.tenant_id === 't1')!;
    const theirs = rows.find((r) => r.tenant_id === 't2')!;
    await markSent(t.store.db, 'deliveries', 't1', [{ id: mine.id }, { id: theirs.id }], now);
    await markFailed(t.store.db, 'deliveries', 't1', [{ id: theirs.id, error: 'no', retryable: false }], now, policy);
    expect(await deliveryRow(mine.id)).toMatchObject({ status: 'sent', attempts: 1, sent_at: now, last_error: null });
    expect(await deliveryRow(theirs.id)).toMatchObject({ status: 'pending', attempts: 0, sent_at: null });
  });

  it('runs the same lifecycle on the write-back outbox, with its CRM answer and change time', async () => {
    await t.store.outbox.queue(
      't1',
      null,
      [
        { source: 'csv', externalId: 'A', valuesHash: 'h', fields: null, tasks: [{ key: 'csv:A:call', payload: aTask('A') }] },
        { source: 'csv', externalId: 'B', valuesHash: 'h', fields: null, tasks: [{ key: 'csv:B:call', payload: aTask('B') }] },
      ],
      now,
    );
    const due = await t.store.outbox.due('t1', { source: 'csv', kind: 'task', now, afterId: 0, limit: 10 });
    expect(due.map((d) => d.key)).toEqual(['csv:A:call', 'csv:B:call']);
    const [a, b] = due;
    await t.store.outbox.record(
      't1',
      [
        { id: a!.id, ok: true, result: { taskId: 'T1' } },
        { id: b!.id, ok: false, retryable: true, error: 'locked' },
      ],
      at(5000),
      { maxAttempts: 2, baseMs: 1000 },
    );
    const rows = await t.store.db
      .selectFrom('writebacks')
      .select(['key', 'status', 'attempts', 'last_error', 'next_attempt_at', 'result', 'updated_at'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      {
        key: 'csv:A:call',
        status: 'sent',
        attempts: 1,
        last_error: null,
        next_attempt_at: null,
        result: { taskId: 'T1' },
        updated_at: at(5000),
      },
      {
        key: 'csv:B:call',
        status: 'failed',
        attempts: 1,
        last_error: 'locked',
        next_attempt_at: at(6000),
        result: null,
        updated_at: at(5000),
      },
    ]);
    expect(await t.store.outbox.due('t1', { source: 'csv', kind: 'task', now: at(5999), afterId: 0, limit: 10 })).toEqual([]);
    expect(await t.store.outbox.due('t1', { source: 'csv', kind: 'task', now: at(6000), afterId: 0, limit: 10 })).toHaveLength(1);
    await t.store.outbox.record('t1', [{ id: b!.id, ok: false, retryable: true, error: 'locked again' }], at(6000), {
      maxAttempts: 2,
      baseMs: 1000,
    });
    expect(await t.store.outbox.list('t1', { status: 'dead' })).toEqual([
      expect.objectContaining({ key: 'csv:B:call', attempts: 2, lastError: 'locked again' }),
    ]);
  });
});
