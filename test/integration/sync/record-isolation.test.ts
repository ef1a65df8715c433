import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCsvConnector } from '../../../connectors/csv/index.ts';
import type { Connector } from '../../../connectors/types.ts';
import { AppError } from '../../../src/core/errors.ts';
import { loadMappingFile, MAPPINGS_DIR } from '../../../src/mapping/load.ts';
import { syncPort } from '../../../src/server/adapters/sync.ts';
import type { SyncScorer } from '../../../src/sync/scorer.ts';
import { HOUR } from './helpers/context.ts';
import type { FileCrm } from './helpers/file-crm.ts';
import { type Harness, harness } from './helpers/harness.ts';

/**
 * A failure confined to one record, at any step, rejects that record alone: the run ends
 * partial, names it with its id, step, field and reason, and every other deal goes through.
 */
describe('a failure confined to one record', () => {
  let h: Harness;
  let crm: FileCrm;
  beforeEach(async () => {
    h = await harness();
    ({ crm } = await h.tenant('t1'));
    crm.put({ Id: 'A', Risk: 60 }, { Id: 'B', Risk: 60 }, { Id: 'POISON', Risk: 60 }, { Id: 'C', Risk: 60 }, { Id: 'D', Risk: 60 });
  });
  afterEach(async () => h.close());

  /** Wraps the connector the harness builds, for this test's faults. */
  const withConnector = (wrap: (c: Connector) => Partial<Connector>) => {
    const build = h.deps.connectorFor;
    h.deps.connectorFor = async (ctx, connection) => {
      const c = await build(ctx, connection);
      return { ...c, ...wrap(c) };
    };
  };
  const latestRun = async () => (await h.ctx.store.syncRuns.list('t1', { limit: 1 }))[0]!;

  it('store: a deal the database refuses is rejected by name and the others are stored, scored and written', {
    timeout: 90_000,
  }, async () => {
    await sql`alter table deals add constraint no_poison check (external_id <> 'POISON')`.execute(h.t.store.db);
    try {
      const r = await h.sync();
      expect(r.runs[0]).toMatchObject({ status: 'partial', errors: [] });
      expect(r.runs[0]!.counts).toMatchObject({ fetched: 5, mapped: 5, rejected: 1, stored: 4, scored: 4, written: 4 });
      expect((await latestRun()).rejected).toEqual([
        { step: 'store', recordId: 'POISON', field: null, reason: expect.stringContaining('no_poison') },
      ]);
      expect(crm.read().writes.map((w) => w.id)).toEqual(['A', 'B', 'C', 'D']);
    } finally {
      await sql`alter table deals drop constraint no_poison`.execute(h.t.store.db);
    }
  });

  it('score: a deal whose features throw is rejected alone; the others are scored and written', async () => {
    const real = h.deps.scorer;
    const scorer: SyncScorer = {
      ...real,
      async load(tenantId, asOf) {
        const m = await real.load(tenantId, asOf);
        return {
          ...m,
          scoreMany(deals, at) {
            if (deals.some((d) => d.externalId === 'POISON')) throw new RangeError('feature days_in_stage: Invalid time value');
            return m.scoreMany(deals, at);
          },
        };
      },
    };
    h.deps.scorer = scorer;
    const r = await h.sync();
    expect(r.runs[0]).toMatchObject({ status: 'partial', errors: [] });
    expect(r.runs[0]!.counts).toMatchObject({ stored: 5, rejected: 1, scored: 4, written: 4 });
    expect((await latestRun()).rejected).toEqual([
      { step: 'score', recordId: 'POISON', field: null, reason: 'could not be scored: feature days_in_stage: Invalid time value' },
    ]);
    expect((await h.ctx.store.scores.latest('t1')).map((s) => s.externalId)).toEqual(['A', 'B', 'C', 'D']);
    // As GET /v1/sync/runs and the Sync page read it.
    const [view] = await syncPort(h.ctx).runs('t1', 1);
    expect(view).toMatchObject({
      status: 'partial',
      rejected: [{ step: 'score', recordId: 'POISON', field: null, reason: expect.stringContaining('Invalid time value') }],
      cleaned: [],
    });
  });

  it('score: a model that fails on every deal fails the run, rather than rejecting every deal', async () => {
    const real = h.deps.scorer;
    h.deps.scorer = {
      ...real,
      async load(tenantId, asOf) {
        return {
          ...(await real.load(tenantId, asOf)),
          scoreMany: () => {
            throw new Error('weights and features differ in length');
          },
        };
      },
    };
    const r = await h.sync();
    expect(r.runs[0]).toMatchObject({
      status: 'failed',
      errors: [expect.objectContaining({ step: 'score', message: 'weights and features differ in length' })],
    });
    expect(r.runs[0]!.counts.rejected).toBe(0);
  });

  it('write-back: a thrown error for one record fails that record only, and the others are written', async () => {
    let calls = 0;
    withConnector((c) => ({
      async writeBack(updates) {
        calls++;
        if (updates.some((u) => u.externalId === 'POISON')) throw new TypeError("Cannot read properties of undefined (reading 'toFixed')");
        return c.writeBack(updates);
      },
    }));
    const r = await h.sync();
    expect(r.runs[0]).toMatchObject({ status: 'partial', errors: [] });
    expect(r.runs[0]!.counts).toMatchObject({ scored: 5, written: 4, writeFailed: 1, tasks: 10 });
    expect(
      crm
        .read()
        .writes.map((w) => w.id)
        .sort(),
    ).toEqual(['A', 'B', 'C', 'D']);
    expect((await latestRun()).rejected).toEqual([
      { step: 'write-back', recordId: 'POISON', field: null, reason: "internal: Cannot read properties of undefined (reading 'toFixed')" },
    ]);
    // Halving down to the record at fault (POISON sorts last): 5 ✗ → 3 ✓ + 2 ✗ → 1 ✓ + 1 ✗.
    expect(calls).toBe(5);
    expect(await h.ctx.store.outbox.list('t1', { kind: 'fields', status: 'dead' })).toEqual([
      expect.objectContaining({ externalId: 'POISON' }),
    ]);
    h.clock.advance(2 * HOUR);
    const next = await h.sync();
    expect(next.runs[0]!.counts).toMatchObject({ written: 0, writeFailed: 0 });
  });

  it('write-back: an outbox row the store cannot read fails alone, named by table, row and field; the others are written', async () => {
    h.deps.probe = async (point) => {
      if (point !== 'queued') return;
      await sql`update writebacks set payload = jsonb_set(payload, '{fields,scoredAt}', '"soon"')
        where kind = 'fields' and external_id = 'POISON'`.execute(h.t.store.db);
    };
    const r = await h.sync();
    expect(r.runs[0]).toMatchObject({ status: 'partial', errors: [] });
    expect(r.runs[0]!.counts).toMatchObject({ scored: 5, written: 4, writeFailed: 1 });
    expect(
      crm
        .read()
        .writes.map((w) => w.id)
        .sort(),
    ).toEqual(['A', 'B', 'C', 'D']);
    const dead = await h.ctx.store.outbox.list('t1', { kind: 'fields', status: 'dead' });
    expect(dead).toEqual([expect.objectContaining({ externalId: 'POISON' })]);
    const reason = `internal: writebacks row ${dead[0]!.id} holds malformed JSON: payload.fields.scoredAt: must be a date as an ISO 8601 string`;
    expect((await latestRun()).rejected).toEqual([{ step: 'write-back', recordId: 'POISON', field: null, reason }]);
    expect(dead[0]!.lastError).toBe(reason);
  });

  it('write-back: a record the CRM names in a thrown error is set aside and the rest sent in one more call', async () => {
    let calls = 0;
    withConnector((c) => ({
      async writeBack(updates) {
        calls++;
        if (updates.some((u) => u.externalId === 'POISON'))
          throw new AppError('crm_record_rejected', 'Risk_Score__c: value out of range', { recordId: 'POISON', retryable: false });
        return c.writeBack(updates);
      },
    }));
    const r = await h.sync();
    expect(r.runs[0]!.counts).toMatchObject({ written: 4, writeFailed: 1 });
    expect(calls).toBe(2);
    expect((await latestRun()).rejected).toEqual([
      { step: 'write-back', recordId: 'POISON', field: null, reason: 'crm_record_rejected: Risk_Score__c: value out of range' },
    ]);
  });

  it("tasks: a thrown error for one deal's task fails that task only, and the other tasks are created", async () => {
    withConnector((c) => ({
      async upsertTasks(tasks) {
        if (tasks.some((t) => t.dealExternalId === 'POISON' && t.key.endsWith('exec-call')))
          throw new TypeError('subject.slice is not a function');
        return c.upsertTasks(tasks);
      },
    }));
    const r = await h.sync();
    expect(r.runs[0]).toMatchObject({ status: 'partial', errors: [] });
    expect(r.runs[0]!.counts).toMatchObject({ written: 5, tasks: 9, taskFailed: 1 });
    expect(Object.keys(crm.read().tasks).sort()).toEqual([
      'A:exec-call',
      'A:milestones',
      'B:exec-call',
      'B:milestones',
      'C:exec-call',
      'C:milestones',
      'D:exec-call',
      'D:milestones',
      'POISON:milestones',
    ]);
    expect((await latestRun()).rejected).toEqual([
      { step: 'tasks', recordId: 'POISON', field: 'task salesforce:POISON:exec-call', reason: 'internal: subject.slice is not a function' },
    ]);
  });

  it('a CSV source: a malformed line is rejected by its line and the other rows sync', async () => {
    const file = path.join(h.dir, 'deals.csv');
    writeFileSync(
      file,
      [
        'deal_id,created_date,closed_date,sales_rep_id,industry,region,product_type,lead_source,deal_stage,deal_amount,sales_cycle_days,outcome',
        'K1,2024-01-02,,rep_1,SaaS,EU,Core,Inbound,Proposal,1000,,Open',
        'K2,2024-01-02,,rep "x" 1,SaaS,EU,Core,Inbound,Proposal,1000,,Open',
        'K3,2024-01-02,,rep_3,SaaS,EU,Core,Inbound,Proposal,1000,,Open',
      ].join('\n'),
    );
    h.deps.connectorFor = async () =>
      createCsvConnector({ tenantId: 't1', mapping: loadMappingFile(path.join(MAPPINGS_DIR, 'skygeni.csv.yaml')), file });
    const r = await h.sync();
    expect(r.runs[0]).toMatchObject({ status: 'partial', errors: [] });
    expect(r.runs[0]!.counts).toMatchObject({ fetched: 3, mapped: 2, rejected: 1, stored: 2, scored: 2 });
    expect((await latestRun()).rejected).toEqual([
      { step: 'map', recordId: 'line-3', row: 3, field: 'sales_rep_id', reason: expect.stringContaining('Invalid Opening Quote') },
    ]);
  });

  it('still stops writing, and ends partial, when the CRM itself is unavailable', async () => {
    let calls = 0;
    withConnector(() => ({
      async writeBack() {
        calls++;
        throw new AppError('crm_unavailable', '503 Service Unavailable');
      },
    }));
    const r = await h.sync();
    expect(r.runs[0]).toMatchObject({
      status: 'partial',
      errors: [expect.objectContaining({ step: 'write-back', code: 'crm_unavailable' })],
    });
    expect(calls).toBe(1);
    expect(await h.ctx.store.outbox.list('t1', { kind: 'fields', status: 'failed' })).toHaveLength(5);
  });

  it('stops writing, keeping every write for a retry, when the connector fails on every record or the network is down', async () => {
    let calls = 0;
    withConnector(() => ({
      async writeBack() {
        calls++;
        throw new TypeError('this.client.crm is undefined');
      },
    }));
    const r = await h.sync();
    expect(r.runs[0]).toMatchObject({
      status: 'partial',
      errors: [expect.objectContaining({ step: 'write-back', message: 'this.client.crm is undefined' })],
    });
    // Halved down to each record alone (2·5 − 1 = 9 calls), once: then no batch is sent.
    expect(calls).toBe(9);
    expect(await h.ctx.store.outbox.list('t1', { kind: 'fields', status: 'failed' })).toHaveLength(5);
    expect(await h.ctx.store.outbox.list('t1', { kind: 'fields', status: 'dead' })).toEqual([]);

    calls = 0;
    withConnector(() => ({
      async writeBack() {
        calls++;
        throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
      },
    }));
    h.clock.advance(2 * HOUR);
    const again = await h.sync();
    expect(again.runs[0]).toMatchObject({
      status: 'partial',
      errors: [expect.objectContaining({ step: 'write-back', code: 'crm_unavailable', message: 'fetch failed' })],
    });
    expect(calls).toBe(1);
  });
});
