import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, HOUR } from './helpers/context.ts';
import type { FileCrm } from './helpers/file-crm.ts';
import { type Harness, harness } from './helpers/harness.ts';

describe('a sync run', () => {
  let h: Harness;
  let crm: FileCrm;
  beforeEach(async () => {
    h = await harness();
    ({ crm } = await h.tenant('t1'));
  });
  afterEach(async () => h.close());

  it('stores, scores and writes back every open deal on the first sync, and records the run', async () => {
    crm.put({ Id: 'A', Risk: 20 }, { Id: 'B', Risk: 60 }, { Id: 'C', Status: 'won', ClosedDate: '2026-11-01T00:00:00Z' });
    const r = await h.sync();
    expect(r.status).toBe('done');
    const run = r.runs[0]!;
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({
      fetched: 3,
      mapped: 3,
      rejected: 0,
      stored: 3,
      snapshots: 2,
      scored: 2,
      queued: 2,
      written: 2,
      tasks: 2,
    });
    expect(crm.read().writes.map((w) => [w.id, w.score, w.category])).toEqual([
      ['A', 20, 'Low'],
      ['B', 60, 'High'],
    ]);
    // High deal: the playbook's immediate and this-week actions, not the ongoing one.
    expect(Object.keys(crm.read().tasks).sort()).toEqual(['B:exec-call', 'B:milestones']);
    const [stored] = await h.ctx.store.syncRuns.list('t1');
    expect(stored).toMatchObject({
      status: 'succeeded',
      trigger: 'test',
      apiCalls: run.apiCalls,
      counts: expect.objectContaining({ scored: 2 }),
    });
    expect(stored!.durationMs).toBeGreaterThanOrEqual(0);
    expect(stored!.details).toMatchObject({ model: expect.objectContaining({ retrained: true }) });
    expect((await h.ctx.store.scores.latest('t1')).map((s) => [s.externalId, s.modelStatus])).toEqual([
      ['A', 'ok'],
      ['B', 'ok'],
    ]);
  });

  it('costs one read call and writes nothing when nothing changed since the last run', async () => {
    crm.put({ Id: 'A' }, { Id: 'B', Risk: 80 });
    await h.sync();
    // The first run's writes come back as echoes (the CRM bumped their stamps): read once more.
    await h.sync();
    const before = crm.read();
    h.clock.advance(HOUR);
    const r = await h.sync();
    const after = crm.read();
    expect(r.runs[0]).toMatchObject({
      status: 'succeeded',
      apiCalls: 1,
      counts: expect.objectContaining({ fetched: 0, scored: 0, written: 0, tasks: 0 }),
    });
    expect(after.calls.fetch - before.calls.fetch).toBe(1);
    expect(after.writes).toEqual(before.writes);
  });

  it('recognises echoes of its own writes and neither rescores nor rewrites them', async () => {
    crm.put({ Id: 'A', Risk: 40 }, { Id: 'B', Risk: 60 });
    await h.sync();
    h.clock.advance(HOUR);
    const echo = await h.sync();
    expect(echo.runs[0]!.counts).toMatchObject({ fetched: 2, unchanged: 2, stored: 0, scored: 0, queued: 0, written: 0 });
    expect(crm.read().writes).toHaveLength(2);
  });

  it('rescores and writes only the deal a rep edited, and snapshots only it', async () => {
    crm.put({ Id: 'A', Risk: 40 }, { Id: 'B', Risk: 60 }, { Id: 'C', Risk: 10 });
    await h.sync();
    await h.sync();
    h.clock.advance(HOUR);
    crm.put({ Id: 'B', Risk: 85, Amount: 50_000 });
    const r = await h.sync();
    expect(r.runs[0]!.counts).toMatchObject({ fetched: 1, stored: 1, snapshots: 1, scored: 1, written: 1 });
    expect(crm.read().writes.map((w) => w.id)).toEqual(['A', 'B', 'C', 'B']);
    expect(await h.ctx.store.snapshots.forDeal('t1', 'salesforce', 'B')).toHaveLength(2);
    expect(await h.ctx.store.snapshots.forDeal('t1', 'salesforce', 'A')).toHaveLength(1);
  });

  it('writes only when a written value changes, even when every deal is rescored a day later', async () => {
    crm.put({ Id: 'A', Risk: 40 }, { Id: 'B', Risk: 60 });
    await h.sync();
    await h.sync();
    h.clock.advance(DAY + HOUR);
    const r = await h.sync();
    // Both deals are rescored (their scores are a day old); same values, so nothing is written.
    expect(r.runs[0]!.counts).toMatchObject({ scored: 2, queued: 0, written: 0 });
    expect(crm.read().writes).toHaveLength(2);
  });

  it('keeps a record that cannot be mapped on the run with its reason, and syncs the rest', async () => {
    crm.put({ Id: 'A' }, { Id: 'BAD', Amount: 'lots' as unknown as number }, { Id: 'C' });
    const r = await h.sync();
    expect(r.runs[0]!.counts).toMatchObject({ fetched: 3, mapped: 2, rejected: 1, scored: 2, written: 2 });
    const [run] = await h.ctx.store.syncRuns.list('t1');
    expect(run!.rejected).toEqual([expect.objectContaining({ recordId: 'BAD', field: 'amount', reason: expect.stringContaining('lots') })]);
  });

  it('creates each follow-up task once, and none while the model has no signal', async () => {
    crm.put({ Id: 'A', Risk: 90 });
    await h.sync();
    expect(crm.read().taskCreates).toBe(2);
    h.clock.advance(HOUR);
    crm.put({ Id: 'A', Risk: 95 });
    await h.sync();
    // New score, same actions: the task keys exist, nothing is created twice.
    expect(crm.read().taskCreates).toBe(2);
    expect(crm.read().writes.map((w) => w.score)).toEqual([90, 95]);

    await h.ctx.store.models.save('t1', { status: 'no_signal', trainedAt: h.clock.now(), payload: {}, report: { auc: 0.5 } }, true);
    crm.put({ Id: 'N', Risk: 90 });
    h.clock.advance(HOUR);
    await h.sync();
    expect(Object.keys(crm.read().tasks).filter((k) => k.startsWith('N:'))).toEqual([]);
    expect(crm.read().writes.filter((w) => w.id === 'N')).toHaveLength(1);
  });

  it('retries a write the CRM rejected as retryable on the next run, and never resends one that succeeded', async () => {
    crm.put({ Id: 'A', Risk: 40 }, { Id: 'B', Risk: 60 });
    crm.fault({ op: 'write', rejectIds: ['B'], retryable: true });
    const first = await h.sync();
    expect(first.runs[0]!.counts).toMatchObject({ written: 1, writeFailed: 1 });
    const failed = await h.ctx.store.outbox.list('t1', { kind: 'fields', status: 'failed' });
    expect(failed).toEqual([
      expect.objectContaining({ externalId: 'B', attempts: 1, lastError: expect.stringContaining('FIELD_CUSTOM_VALIDATION_EXCEPTION') }),
    ]);

    h.clock.advance(2 * HOUR); // past the retry wait
    const second = await h.sync();
    expect(second.runs[0]!.counts).toMatchObject({ written: 1, writeFailed: 0 });
    expect(crm.read().writes.map((w) => w.id)).toEqual(['A', 'B']);
    expect(await h.ctx.store.outbox.countByStatus('t1')).toMatchObject({ 'fields.sent': 2 });
  });

  it('gives up on a write the CRM rejects for good, and says so', async () => {
    crm.put({ Id: 'A', Risk: 40 });
    crm.fault({ op: 'write', rejectIds: ['A'], retryable: false });
    await h.sync();
    h.clock.advance(2 * HOUR);
    await h.sync();
    expect(crm.read().writes).toEqual([]);
    expect(await h.ctx.store.outbox.list('t1', { kind: 'fields' })).toEqual([expect.objectContaining({ status: 'dead', attempts: 1 })]);
  });

  it('keeps writes queued and ends partial when the CRM is down, then sends them on the next run', async () => {
    crm.put({ Id: 'A', Risk: 40 });
    crm.fault({ op: 'write', error: { code: 'crm_unavailable', message: '503 Service Unavailable' } });
    const r = await h.sync();
    expect(r.runs[0]).toMatchObject({
      status: 'partial',
      errors: [expect.objectContaining({ step: 'write-back', code: 'crm_unavailable' })],
    });
    h.clock.advance(2 * HOUR);
    await h.sync();
    expect(crm.read().writes.map((w) => w.id)).toEqual(['A']);
  });
});
