import { sql } from 'kysely';
import { z } from 'zod';
import type { Deal } from '../../core/deal.ts';
import type { QuarterTrackRecord } from '../../core/forecast/track-record.ts';
import type { Db } from '../db.ts';
import { dealFromJson } from '../deal-json.ts';
import { parseStored } from '../stored-json.ts';

/** A deal as it was last seen open before a cut-off, with the model's last category before it. */
export interface DealAsCalled {
  /** The deal's state in its last snapshot before the cut-off (or before it closed). */
  asCalled: Deal;
  /** The model's category in its last score before the same moment; null when never scored. */
  category: string | null;
  /** The deal now. */
  status: 'open' | 'won' | 'lost';
  closedAt: Date | null;
}

const outcomes = z.object({
  deals: z.number(),
  won: z.number(),
  lost: z.number(),
  slipped: z.number(),
  amount: z.number(),
  wonAmount: z.number(),
});
const repRecord = z.object({
  ownerId: z.string().nullable(),
  ownerName: z.string().nullable(),
  rep: z.object({ commit: outcomes, best_case: outcomes, pipeline: outcomes, omitted: outcomes }),
  model: z.object({ high: outcomes, medium: outcomes, low: outcomes, unscored: outcomes }),
  disagreements: z.object({ commitRatedHigh: outcomes, bestCaseRatedHigh: outcomes, pipelineRatedLow: outcomes }),
});

/** `forecast_quarters.record`: a QuarterTrackRecord as `record` stored it (its instants stay ISO strings). */
const StoredTrackRecord: z.ZodType<QuarterTrackRecord, unknown> = z.object({
  quarter: z.string(),
  start: z.string(),
  end: z.string(),
  recordedAt: z.string(),
  currency: z.string().nullable(),
  deals: z.number(),
  unconverted: z.number().optional(),
  total: repRecord,
  reps: z.array(repRecord),
});

/** Closed quarters' forecast track records (issue 16): written once per quarter, then kept. */
export function forecastQuartersRepo(db: Db) {
  return {
    /** Stores a quarter's record unless one is stored already; true when this call stored it. */
    async record(tenantId: string, rec: QuarterTrackRecord): Promise<boolean> {
      const r = await db
        .insertInto('forecast_quarters')
        .values({ tenant_id: tenantId, quarter: rec.quarter, recorded_at: rec.recordedAt, record: JSON.stringify(rec) })
        .onConflict((oc) => oc.columns(['tenant_id', 'quarter']).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async has(tenantId: string, quarter: string): Promise<boolean> {
      const r = await db
        .selectFrom('forecast_quarters')
        .select('quarter')
        .where('tenant_id', '=', tenantId)
        .where('quarter', '=', quarter)
        .executeTakeFirst();
      return r !== undefined;
    },
    /** The latest recorded quarters, newest first. */
    async list(tenantId: string, limit = 8): Promise<QuarterTrackRecord[]> {
      const rows = await db
        .selectFrom('forecast_quarters')
        .select(['quarter', 'record'])
        .where('tenant_id', '=', tenantId)
        .orderBy('recorded_at', 'desc')
        .orderBy('quarter', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) =>
        parseStored(StoredTrackRecord, r.record, { table: 'forecast_quarters', row: `${tenantId}/${r.quarter}`, column: 'record' }),
      );
    },
    /**
     * Every live deal that was still open when the quarter [start, end) began, as last seen open
     * before the quarter ended (or before it closed, if sooner), with the model's category then.
     * Deals never snapshotted in that time (the app was not watching yet) are left out.
     */
    async asCalled(tenantId: string, start: Date, end: Date): Promise<DealAsCalled[]> {
      const r = await sql<{
        snap: unknown;
        category: string | null;
        status: 'open' | 'won' | 'lost';
        closed_at: Date | null;
      }>`
        select x.snap, x.category, x.status, x.closed_at from (
          select d.status, d.closed_at,
            (select s.data from deal_snapshots s
              where s.tenant_id = d.tenant_id and s.source = d.source and s.external_id = d.external_id
                and s.taken_at < least(coalesce(d.closed_at, ${end}), ${end})
              order by s.taken_at desc, s.id desc limit 1) as snap,
            (select c.category from scores c
              where c.tenant_id = d.tenant_id and c.source = d.source and c.external_id = d.external_id
                and c.scored_at < least(coalesce(d.closed_at, ${end}), ${end})
              order by c.scored_at desc, c.id desc limit 1) as category
          from deals d
          where d.tenant_id = ${tenantId} and d.deleted_at is null and (d.closed_at is null or d.closed_at >= ${start})
        ) x where x.snap is not null`.execute(db);
      return r.rows.map((row) => ({
        asCalled: dealFromJson(row.snap, 'deal_snapshots'),
        category: row.category,
        status: row.status,
        closedAt: row.closed_at === null ? null : new Date(row.closed_at),
      }));
    },
  };
}
export type ForecastQuartersRepo = ReturnType<typeof forecastQuartersRepo>;
