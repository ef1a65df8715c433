import { type Selectable, sql } from 'kysely';
import type { Deal } from '../../core/deal.ts';
import type { ScoreTrace } from '../../core/scoring/risk-change.ts';
import type { Db } from '../db.ts';
import { dealFromJson } from '../deal-json.ts';
import type { DealSyncStateTable } from '../schema.ts';
import { parseStored } from '../stored-json.ts';
import { type RiskPlan, StoredRiskPlan } from '../write-back-json.ts';
import { scoreRow } from './scores.ts';

const CHUNK = 500;
/** Ids per look-up statement: well under the 65,535 parameters one statement can carry. */
const ID_CHUNK = 10_000;

/** A deal's score as the sync engine keeps it, with what it will write back. */
export interface ScoredState {
  source: string;
  externalId: string;
  inputHash: string;
  scoredAt: Date;
  modelId: number | null;
  score: number;
  category: string;
  winProbability: number;
  modelStatus: string;
  /** Stored as the score's detail in `scores` (drivers, actions, confidence...). */
  detail: Record<string, unknown>;
  /** Stored as the score's trace in `scores`: what explains it against a later scoring. */
  trace?: ScoreTrace | null;
  /** What the write-back step sends: risk fields and task requests. */
  risk: RiskPlan;
  valuesHash: string;
  /** Set when this score newly crossed the alert threshold; kept when null. */
  alertDueAt: Date | null;
}

export interface PriorState {
  category: string;
  score: number;
  lastAlertAt: Date | null;
}

export interface DealToScore {
  deal: Deal;
  inputHash: string;
}

export interface StateRow {
  source: string;
  externalId: string;
  score: number;
  category: string;
  modelStatus: string;
  risk: RiskPlan;
  valuesHash: string;
  lastAlertAt: Date | null;
  alertDueAt: Date | null;
}

const STATE_COLUMNS = [
  'source',
  'external_id',
  'score',
  'category',
  'model_status',
  'risk',
  'values_hash',
  'last_alert_at',
  'alert_due_at',
] as const;
type StateColumns = Pick<Selectable<DealSyncStateTable>, (typeof STATE_COLUMNS)[number]>;

/** A deal's risk plan as stored; a row that is not one fails naming the table, the deal and the field. */
export const storedRiskPlan = (tenantId: string, r: Pick<StateColumns, 'source' | 'external_id' | 'risk'>): RiskPlan =>
  parseStored(StoredRiskPlan, r.risk, { table: 'deal_sync_state', row: `${tenantId}/${r.source}/${r.external_id}`, column: 'risk' });

const toStateRow =
  (tenantId: string) =>
  (r: StateColumns): StateRow => ({
    source: r.source,
    externalId: r.external_id,
    score: r.score,
    category: r.category,
    modelStatus: r.model_status,
    risk: storedRiskPlan(tenantId, r),
    valuesHash: r.values_hash,
    lastAlertAt: r.last_alert_at,
    alertDueAt: r.alert_due_at,
  });

/** Per-deal sync state: which deals need a score, which need a write, which owe an alert. */
export function syncStateRepo(db: Db) {
  return {
    /**
     * Open deals whose current score is missing or stale: inputs changed since scored, a
     * different model is active, or the score is older than `staleBefore`. Walks the open deals
     * by id (`afterId` → `next`), so a run that died half-way picks up exactly the deals it had
     * not scored yet. Two primary-key lookups per page rather than one anti-join: the plan
     * stays right even where the planner has no statistics (PGlite runs no autovacuum).
     */
    async dealsToScore(
      tenantId: string,
      source: string,
      q: { modelId: number | null; staleBefore: Date; afterId: string | null; limit: number; onlyIds?: string[] },
    ): Promise<{ deals: DealToScore[]; next: string | null }> {
      let page = db
        .selectFrom('deals')
        .select(['external_id', 'input_hash'])
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .where('status', '=', 'open')
        .where('deleted_at', 'is', null);
      if (q.onlyIds) page = page.where('external_id', 'in', q.onlyIds.length ? q.onlyIds : ['\u0000']);
      if (q.afterId !== null) page = page.where('external_id', '>', q.afterId);
      const open = await page.orderBy('external_id').limit(q.limit).execute();
      if (open.length === 0) return { deals: [], next: null };
      const next = open.length < q.limit ? null : open[open.length - 1]!.external_id;
      const states = await db
        .selectFrom('deal_sync_state')
        .select(['external_id', 'scored_hash', 'model_id', 'scored_at'])
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .where(
          'external_id',
          'in',
          open.map((r) => r.external_id),
        )
        .execute();
      const current = new Map(states.map((s) => [s.external_id, s]));
      const due = open.filter((d) => {
        const s = current.get(d.external_id);
        return !s || s.scored_hash !== d.input_hash || (s.model_id ?? null) !== q.modelId || s.scored_at < q.staleBefore;
      });
      if (due.length === 0) return { deals: [], next };
      const rows = await db
        .selectFrom('deals')
        .select(['data', 'input_hash', 'external_id'])
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .where(
          'external_id',
          'in',
          due.map((d) => d.external_id),
        )
        .orderBy('external_id')
        .execute();
      return { deals: rows.map((r) => ({ deal: dealFromJson(r.data), inputHash: r.input_hash })), next };
    },

    /**
     * Refreshes the planner's statistics after a bulk change. Postgres' autovacuum does this on
     * its own schedule; PGlite never does, and a first sync turns empty tables into large ones.
     */
    async analyze(): Promise<void> {
      await sql`analyze deals, deal_sync_state, writebacks, scores, deal_snapshots`.execute(db);
    },

    async prior(tenantId: string, source: string, ids: string[]): Promise<Map<string, PriorState>> {
      const out = new Map<string, PriorState>();
      // A statement carries at most 65,535 parameters (the protocol counts them in 16 bits): a
      // tenant's 100,000 open deals are asked for in chunks.
      for (let i = 0; i < ids.length; i += ID_CHUNK) {
        const rows = await db
          .selectFrom('deal_sync_state')
          .select(['external_id', 'category', 'score', 'last_alert_at'])
          .where('tenant_id', '=', tenantId)
          .where('source', '=', source)
          .where('external_id', 'in', ids.slice(i, i + ID_CHUNK))
          .execute();
        for (const r of rows) out.set(r.external_id, { category: r.category, score: r.score, lastAlertAt: r.last_alert_at });
      }
      return out;
    },

    /** Appends to the score history and updates the current state, in one transaction per chunk. */
    async saveScores(tenantId: string, items: ScoredState[]): Promise<void> {
      for (let i = 0; i < items.length; i += CHUNK) {
        const chunk = items.slice(i, i + CHUNK);
        await db.transaction().execute(async (tx) => {
          await tx
            .insertInto('scores')
            .values(chunk.map((s) => scoreRow(tenantId, s)))
            .execute();
          await tx
            .insertInto('deal_sync_state')
            .values(
              chunk.map((s) => ({
                tenant_id: tenantId,
                source: s.source,
                external_id: s.externalId,
                scored_hash: s.inputHash,
                scored_at: s.scoredAt,
                model_id: s.modelId,
                score: s.score,
                category: s.category,
                model_status: s.modelStatus,
                risk: JSON.stringify(s.risk),
                values_hash: s.valuesHash,
                alert_due_at: s.alertDueAt,
              })),
            )
            .onConflict((oc) =>
              oc.columns(['tenant_id', 'source', 'external_id']).doUpdateSet((eb) => ({
                scored_hash: eb.ref('excluded.scored_hash'),
                scored_at: eb.ref('excluded.scored_at'),
                model_id: eb.ref('excluded.model_id'),
                score: eb.ref('excluded.score'),
                category: eb.ref('excluded.category'),
                model_status: eb.ref('excluded.model_status'),
                risk: eb.ref('excluded.risk'),
                values_hash: eb.ref('excluded.values_hash'),
                alert_due_at: sql`coalesce(excluded.alert_due_at, deal_sync_state.alert_due_at)`,
              })),
            )
            .execute();
        });
      }
    },

    /**
     * Deals whose written values changed since last queued for the CRM (open deals only), by
     * id after `afterId`, of `onlyIds` when given. The partial index finds them; open-ness is a
     * primary-key lookup.
     */
    async unwritten(
      tenantId: string,
      source: string,
      afterId: string | null,
      limit: number,
      onlyIds: readonly string[] | null = null,
    ): Promise<{ rows: StateRow[]; next: string | null }> {
      let q = db
        .selectFrom('deal_sync_state')
        .select(STATE_COLUMNS)
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .where(sql<boolean>`written_hash is distinct from values_hash`);
      if (onlyIds) q = q.where('external_id', 'in', onlyIds.length ? [...onlyIds] : ['\u0000']);
      if (afterId !== null) q = q.where('external_id', '>', afterId);
      const rows = await q.orderBy('external_id').limit(limit).execute();
      if (rows.length === 0) return { rows: [], next: null };
      const next = rows.length < limit ? null : rows[rows.length - 1]!.external_id;
      const open = new Set(
        (
          await db
            .selectFrom('deals')
            .select('external_id')
            .where('tenant_id', '=', tenantId)
            .where('source', '=', source)
            .where(
              'external_id',
              'in',
              rows.map((r) => r.external_id),
            )
            .where('status', '=', 'open')
            .where('deleted_at', 'is', null)
            .execute()
        ).map((r) => r.external_id),
      );
      return { rows: rows.filter((r) => open.has(r.external_id)).map(toStateRow(tenantId)), next };
    },

    /** Deals owing an alert check (entered the threshold since the last alert step); `onlyIds` keeps to those. */
    async alertsDue(tenantId: string, source: string, limit: number, onlyIds: readonly string[] | null = null): Promise<StateRow[]> {
      let q = db
        .selectFrom('deal_sync_state')
        .select(STATE_COLUMNS)
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .where('alert_due_at', 'is not', null);
      if (onlyIds) q = q.where('external_id', 'in', onlyIds.length ? [...onlyIds] : ['\u0000']);
      const rows = await q.orderBy('external_id').limit(limit).execute();
      return rows.map(toStateRow(tenantId));
    },

    async get(tenantId: string, source: string, externalId: string): Promise<StateRow | null> {
      const r = await db
        .selectFrom('deal_sync_state')
        .select(STATE_COLUMNS)
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .where('external_id', '=', externalId)
        .executeTakeFirst();
      return r ? toStateRow(tenantId)(r) : null;
    },

    /** Deals closed (won or lost) after `since` (all closed deals when null). */
    async closedSince(tenantId: string, since: Date | null): Promise<number> {
      let q = db
        .selectFrom('deals')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('tenant_id', '=', tenantId)
        .where('status', '!=', 'open')
        .where('deleted_at', 'is', null);
      if (since) q = q.where(sql<Date>`coalesce(closed_at, updated_at)`, '>', since);
      return (await q.executeTakeFirst())?.n ?? 0;
    },

    /** Deals closed after `since` with the last risk score `modelId` gave them while open (drift). */
    async outcomesSince(tenantId: string, since: Date, modelId: number): Promise<Array<{ score: number; lost: boolean }>> {
      const closed = await db
        .selectFrom('deals')
        .select(['source', 'external_id', 'status'])
        .where('tenant_id', '=', tenantId)
        .where('status', 'in', ['won', 'lost'])
        .where('deleted_at', 'is', null)
        .where(sql<Date>`coalesce(closed_at, updated_at)`, '>', since)
        .execute();
      const out: Array<{ score: number; lost: boolean }> = [];
      for (let i = 0; i < closed.length; i += 1000) {
        const chunk = closed.slice(i, i + 1000);
        const status = new Map(chunk.map((c) => [`${c.source}\u0000${c.external_id}`, c.status]));
        const states = await db
          .selectFrom('deal_sync_state')
          .select(['source', 'external_id', 'score'])
          .where('tenant_id', '=', tenantId)
          .where(
            'external_id',
            'in',
            chunk.map((c) => c.external_id),
          )
          .where('model_id', '=', modelId)
          .execute();
        for (const st of states) {
          const s = status.get(`${st.source}\u0000${st.external_id}`);
          if (s) out.push({ score: st.score, lost: s === 'lost' });
        }
      }
      return out;
    },
  };
}
export type SyncStateRepo = ReturnType<typeof syncStateRepo>;
