import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DealUpdate, TaskRequest } from '../../../connectors/types.ts';
import { isAppError } from '../../../src/core/errors.ts';
import { quarterOf } from '../../../src/core/forecast/quarters.ts';
import { trackRecord } from '../../../src/core/forecast/track-record.ts';
import { deliveryMessage } from '../../../src/store/repos/deliveries.ts';
import { fieldsPayload, taskPayload } from '../../../src/store/repos/outbox.ts';
import type { ScoredState } from '../../../src/store/repos/sync-state.ts';
import type { RiskPlan } from '../../../src/store/write-back-json.ts';
import type { Digest } from '../../../src/sync/digest.ts';
import { aDeal } from '../../helpers/builders.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';

/**
 * JSON read back from the database is parsed at the store's boundary: what was stored comes back
 * with its Dates, and a row that is not what its repository wrote fails naming the table, the
 * row and the field, on PGlite and Postgres alike.
 */
const now = new Date('2026-11-24T10:00:00Z');

/** The error a read throws, for asserting on its message and details. */
async function failure(p: Promise<unknown>): Promise<{ message: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    if (isAppError(e)) return { message: e.message, details: e.details };
    throw e;
  }
  throw new Error('the read succeeded');
}

// One database for the file (each test its own rows): a store per test costs seconds on PGlite.
describe('stored JSON', { timeout: 60_000 }, () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
    await t.store.tenants.ensure('t1');
  });
  afterAll(async () => t?.drop());

  /** Replaces one key of a jsonb column in place, as corruption or a bad hand edit would. */
  const corrupt = (table: string, column: string, key: string, value: unknown, where: ReturnType<typeof sql>) =>
    sql`update ${sql.table(table)} set ${sql.ref(column)} = jsonb_set(${sql.ref(column)}, ${`{${key}}`}::text[], ${JSON.stringify(value)}::jsonb) where ${where}`.execute(
      t.store.db,
    );

  describe('deals and their snapshots', () => {
    const deal = aDeal({
      externalId: 'R0',
      expectedCloseDate: new Date('2026-12-31T00:00:00.000Z'),
      lastActivityAt: new Date('2026-11-20T08:30:15.250Z'),
      stageEnteredAt: new Date('2026-11-02T00:00:00.000Z'),
      modifiedAt: new Date('2026-11-21T00:00:00.000Z'),
      stageHistory: [
        { stage: 'Discovery', status: 'open', order: 0, enteredAt: new Date('2026-10-01T00:00:00.000Z') },
        { stage: 'Proposal', status: 'open', order: 2, enteredAt: new Date('2026-11-02T00:00:00.000Z') },
      ],
      extras: { region_code: 'EMEA', seats: 40, renewal: true, note: null },
    });

    it('gives back the deal it stored, every date a Date', async () => {
      const d = { ...deal, externalId: 'R1' };
      await t.store.deals.upsertMany('t1', [{ deal: d }], now);
      await t.store.snapshots.insertMany('t1', [d], now);
      const back = await t.store.deals.get('t1', 'csv', 'R1');
      expect(back).toEqual(d);
      expect(back!.stageHistory[1]!.enteredAt).toBeInstanceOf(Date);
      expect((await t.store.snapshots.forDeal('t1', 'csv', 'R1')).map((s) => s.deal)).toEqual([d]);
    });

    it('reads a deal stored before a field existed with that field at its default', async () => {
      const d = { ...deal, externalId: 'R2', forecastCategory: 'Commit' };
      await t.store.deals.upsertMany('t1', [{ deal: d }], now);
      await sql`update deals set data = data - 'forecastCategory' - 'extras' where external_id = 'R2'`.execute(t.store.db);
      expect(await t.store.deals.get('t1', 'csv', 'R2')).toEqual({ ...d, forecastCategory: null, extras: {} });
    });

    it('fails a deal row whose date is not a date, naming the table, the row and the field', async () => {
      await t.store.tenants.ensure('t-bad');
      await t.store.deals.upsertMany('t-bad', [{ deal: { ...deal, tenantId: 't-bad', externalId: 'R3' } }], now);
      await corrupt('deals', 'data', 'closedAt', 'last Tuesday', sql`external_id = 'R3'`);
      const e = await failure(t.store.deals.get('t-bad', 'csv', 'R3'));
      expect(e.message).toBe('deals row t-bad/csv/R3 holds malformed JSON: data.closedAt: must be a date as an ISO 8601 string');
      expect(e.details).toMatchObject({ table: 'deals', recordId: 't-bad/csv/R3', path: 'data.closedAt' });
      await expect(t.store.deals.list('t-bad')).rejects.toThrow(/deals row t-bad\/csv\/R3 .*data\.closedAt/);
    });

    it('fails a snapshot row of the wrong type by its id', async () => {
      const d = { ...deal, externalId: 'R4' };
      await t.store.snapshots.insertMany('t1', [d], now);
      await corrupt('deal_snapshots', 'data', 'amount', '12,000', sql`external_id = 'R4'`);
      const { id } = await t.store.db.selectFrom('deal_snapshots').select('id').where('external_id', '=', 'R4').executeTakeFirstOrThrow();
      const e = await failure(t.store.snapshots.forDeal('t1', 'csv', 'R4'));
      expect(e.message).toBe(`deal_snapshots row ${id} holds malformed JSON: data.amount: Invalid input: expected number, received string`);
    });
  });

  describe('the write-back outbox', () => {
    const update: DealUpdate = {
      externalId: 'W1',
      fields: {
        score: 81,
        category: 'Critical',
        winProbability: 0.19,
        drivers: 'No activity for 30 days',
        action: 'Now: call the buyer.',
        scoredAt: new Date('2026-11-24T09:59:58.125Z'),
        modelStatus: 'ok',
      },
    };
    const task: TaskRequest = {
      key: 'W1:exec-call',
      dealExternalId: 'W1',
      ownerId: null,
      subject: 'Call the economic buyer',
      description: 'No reply for two weeks',
      priority: 'high',
      dueDate: new Date('2026-11-25T09:59:58.125Z'),
    };
    const queue = (externalId: string) =>
      t.store.outbox.queue(
        't1',
        null,
        [
          {
            source: 'csv',
            externalId,
            valuesHash: 'h',
            fields: { ...update, externalId },
            tasks: [{ key: `csv:${externalId}:exec-call`, payload: { ...task, dealExternalId: externalId } }],
          },
        ],
        now,
      );

    it('gives back the update and the task it queued, dates as Dates', async () => {
      await queue('W1');
      const [fields, call] = await t.store.outbox.list('t1', { externalId: 'W1' });
      expect(fieldsPayload(fields!)).toEqual(update);
      expect(taskPayload(call!)).toEqual(task);
    });

    it('fails a row whose payload is not what was queued, naming the table, the row and the field', async () => {
      await queue('W2');
      await sql`update writebacks set payload = payload - 'subject' where external_id = 'W2' and kind = 'task'`.execute(t.store.db);
      await corrupt('writebacks', 'payload', 'fields,category', 'Severe', sql`external_id = 'W2' and kind = 'fields'`);
      const [fields, call] = await t.store.outbox.list('t1', { externalId: 'W2' });
      expect(() => fieldsPayload(fields!)).toThrow(
        `writebacks row ${fields!.id} holds malformed JSON: payload.fields.category: Invalid option: expected one of "Low"|"Medium"|"High"|"Critical"`,
      );
      expect(() => taskPayload(call!)).toThrow(
        `writebacks row ${call!.id} holds malformed JSON: payload.subject: Invalid input: expected string, received undefined`,
      );
    });
  });

  describe("a deal's sync state", () => {
    const plan: RiskPlan = {
      fields: {
        score: 77,
        category: 'Critical',
        winProbability: 0.23,
        drivers: 'Stalled in Proposal',
        action: 'Now: book the exec call.',
        scoredAt: new Date('2026-11-24T09:00:00.500Z'),
        modelStatus: 'ok',
      },
      tasks: [
        {
          key: 'S1:exec-call',
          dealExternalId: 'S1',
          ownerId: 'u1',
          subject: 'Book the exec call',
          description: 'Stalled in Proposal',
          priority: 'high',
          dueDate: new Date('2026-11-25T09:00:00.500Z'),
        },
      ],
      summary: {
        name: 'Acme',
        ownerId: 'u1',
        ownerName: 'Ada',
        amount: 12_000,
        firstAction: 'Book the exec call.',
        drivers: ['Stalled'],
        url: null,
      },
    };
    const state = (externalId: string): ScoredState => ({
      source: 'csv',
      externalId,
      inputHash: 'h',
      scoredAt: plan.fields.scoredAt,
      modelId: null,
      score: 77,
      category: 'Critical',
      winProbability: 0.23,
      modelStatus: 'ok',
      detail: {},
      risk: plan,
      valuesHash: 'v',
      alertDueAt: null,
    });

    it('gives back the risk plan it saved, dates as Dates', async () => {
      await t.store.syncState.saveScores('t1', [state('S1')]);
      expect((await t.store.syncState.get('t1', 'csv', 'S1'))!.risk).toEqual(plan);
    });

    it('fails a state whose plan is malformed, naming the table, the deal and the field', async () => {
      await t.store.syncState.saveScores('t1', [state('S2')]);
      await corrupt('deal_sync_state', 'risk', 'tasks,0,dueDate', null, sql`external_id = 'S2'`);
      const e = await failure(t.store.syncState.get('t1', 'csv', 'S2'));
      expect(e.message).toBe(
        'deal_sync_state row t1/csv/S2 holds malformed JSON: risk.tasks.0.dueDate: must be a date as an ISO 8601 string',
      );
    });
  });

  describe('Slack and email deliveries', () => {
    const digest: Digest = {
      tenantId: 't1',
      generatedAt: '2026-11-24T08:00:00.000Z',
      ownerId: null,
      minScore: 51,
      currency: 'EUR',
      deals: [
        {
          source: 'csv',
          externalId: 'D1',
          name: 'Acme',
          ownerId: 'u1',
          ownerName: 'Ada',
          amount: 12_000,
          currency: 'USD',
          converted: 11_000,
          score: 80,
          category: 'Critical',
          modelStatus: 'ok',
          drivers: ['Stalled'],
          firstAction: 'Call',
          url: null,
        },
      ],
      forecast: null,
    };
    const enqueue = async (key: string, payload: Record<string, unknown>) => {
      await t.store.deliveries.enqueue('t1', { kind: 'digest', channel: 'email', key, payload, notBefore: now }, now);
      return (await t.store.deliveries.list('t1')).find((d) => d.key === key)!;
    };

    it('gives back the digest, audience and recipients it queued', async () => {
      const d = await enqueue('digest:ok', { digest, audience: { kind: 'admin', name: 'Acme Corp' }, to: ['a@example.com'] });
      expect(deliveryMessage(d)).toEqual({ kind: 'digest', digest, audience: { kind: 'admin', name: 'Acme Corp' }, to: ['a@example.com'] });
    });

    it('fails a delivery whose message is malformed, naming the table, the row and the field', async () => {
      const d = await enqueue('digest:bad', {
        digest: { ...digest, deals: [{ ...digest.deals[0], score: '80' }] },
        audience: { kind: 'admin', name: null },
      });
      expect(() => deliveryMessage(d)).toThrow(
        `deliveries row ${d.id} holds malformed JSON: payload.digest.deals.0.score: Invalid input: expected number, received string`,
      );
    });
  });

  describe('exchange rates and forecast track records', () => {
    const rates = {
      corporate: 'USD',
      kind: 'dated' as const,
      rates: [
        { code: 'EUR', toCorporate: 1.1, from: new Date('2026-01-01T00:00:00.000Z'), until: new Date('2026-07-01T00:00:00.000Z') },
        { code: 'EUR', toCorporate: 1.08, from: new Date('2026-07-01T00:00:00.000Z'), until: null },
      ],
    };

    it('gives back the rate periods it saved, dates as Dates', async () => {
      await t.store.tenants.ensure('t-fx');
      await t.store.currencyRates.save('t-fx', 'salesforce', rates, now);
      expect((await t.store.currencyRates.get('t-fx', 'salesforce'))!.rates).toEqual(rates);
    });

    it('fails stored rates of the wrong type, naming the table, the tenant and source, and the field', async () => {
      await t.store.tenants.ensure('t-fx-bad');
      await t.store.currencyRates.save('t-fx-bad', 'hubspot', rates, now);
      await sql`update currency_rates set rates = jsonb_set(rates, '{1,toCorporate}', '"1.08"') where tenant_id = 't-fx-bad'`.execute(
        t.store.db,
      );
      const e = await failure(t.store.currencyRates.bySource('t-fx-bad'));
      expect(e.message).toBe(
        'currency_rates row t-fx-bad/hubspot holds malformed JSON: rates.1.toCorporate: Invalid input: expected number, received string',
      );
    });

    it("gives back a quarter's track record, and fails one whose figures are not numbers", async () => {
      await t.store.tenants.ensure('t-fq');
      const q = quarterOf(new Date('2026-08-15T00:00:00Z'), 1);
      const rec = trackRecord(q, [], 'USD', now);
      await t.store.forecastQuarters.record('t-fq', rec);
      expect(await t.store.forecastQuarters.list('t-fq')).toEqual([rec]);
      await corrupt('forecast_quarters', 'record', 'total,rep,commit,won', 'three', sql`tenant_id = 't-fq'`);
      const e = await failure(t.store.forecastQuarters.list('t-fq'));
      expect(e.message).toBe(
        `forecast_quarters row t-fq/${rec.quarter} holds malformed JSON: record.total.rep.commit.won: Invalid input: expected number, received string`,
      );
    });
  });

  describe('runs, tokens and settings', () => {
    it("gives back a run's counts, errors and details, and fails a run whose counts are not numbers", async () => {
      await t.store.tenants.ensure('t-run');
      const id = await t.store.syncRuns.start('t-run', { connectionId: null, trigger: 'manual', holder: 'w1' }, now);
      const errors = [{ step: 'write-back', code: 'crm_unavailable', message: '503' }];
      const finish = {
        status: 'partial' as const,
        finishedAt: now,
        durationMs: 12,
        counts: { fetched: 3 },
        apiCalls: 2,
        errors,
        rejected: [],
      };
      await t.store.syncRuns.finish('t-run', id, { ...finish, details: { cursor: 'c1' } });
      expect(await t.store.syncRuns.get('t-run', id)).toMatchObject({
        counts: { fetched: 3 },
        errors,
        rejected: [],
        details: { cursor: 'c1' },
      });
      await corrupt('sync_runs', 'counts', 'fetched', 'three', sql`id = ${id}`);
      const e = await failure(t.store.syncRuns.get('t-run', id));
      expect(e.message).toBe(`sync_runs row ${id} holds malformed JSON: counts.fetched: Invalid input: expected number, received string`);
    });

    it('gives back sealed tokens with their expiry as a Date, and names a malformed row without its tokens', async () => {
      await t.store.tenants.ensure('t-cred');
      const expiresAt = new Date('2026-11-24T10:30:00.000Z');
      const c = await t.store.connections.create(
        't-cred',
        {
          crm: 'hubspot',
          credentials: { accessToken: 'SECRET-A', refreshToken: 'SECRET-R', expiresAt, scopes: ['crm.objects.deals.read'] },
        },
        now,
      );
      expect(await t.store.connections.loadCredentials('t-cred', c.id)).toEqual({
        accessToken: 'SECRET-A',
        refreshToken: 'SECRET-R',
        expiresAt,
        scopes: ['crm.objects.deals.read'],
      });
      // A token saved with an unreadable expiry (a bug writing it, say): the error names the field, not the tokens.
      await t.store.connections.saveCredentials('t-cred', c.id, { accessToken: 'SECRET-A', expiresAt: 'soon' as never }, now);
      const e = await failure(t.store.connections.loadCredentials('t-cred', c.id));
      expect(e.message).toBe(`connections row ${c.id} holds malformed JSON: credentials.expiresAt: must be a date as an ISO 8601 string`);
      expect(JSON.stringify(e)).not.toContain('SECRET');
    });

    it('fails tenant settings that are not an object', async () => {
      await t.store.tenants.ensure('t-set');
      await sql`update tenants set settings = '[1, 2]'::jsonb where id = 't-set'`.execute(t.store.db);
      const e = await failure(t.store.tenants.get('t-set'));
      expect(e.message).toBe('tenants row t-set holds malformed JSON: settings: Invalid input: expected record, received array');
    });
  });
});
