import { sql } from 'kysely';
import type { Deal } from '../../core/deal.ts';
import { dealInputHash } from '../../core/deal-hash.ts';
import { storableJson } from '../../core/storable-text.ts';
import type { Db } from '../db.ts';
import { dealFromJson } from '../deal-json.ts';
import { describeStoreError, writeIsolating } from '../isolate-records.ts';

const CHUNK = 500;

export interface Snapshot {
  takenAt: Date;
  deal: Deal;
}

/**
 * Open deals' canonical state as of each run that changed them: the tenant's own history
 * becomes point-in-time training data as deals close.
 */
export function snapshotsRepo(db: Db) {
  return {
    /**
     * Keeps each deal's state as of `takenAt`. A snapshot the database refuses is isolated and
     * returned in `rejected`; the others are stored.
     */
    async insertMany(
      tenantId: string,
      deals: Deal[],
      takenAt: Date,
    ): Promise<{ inserted: number; rejected: Array<{ externalId: string; field: string | null; reason: string }> }> {
      const out = { inserted: 0, rejected: [] as Array<{ externalId: string; field: string | null; reason: string }> };
      for (let i = 0; i < deals.length; i += CHUNK) {
        const rows = deals.slice(i, i + CHUNK).map((d) => {
          if (d.tenantId !== tenantId) throw new Error(`deal ${d.externalId} belongs to tenant ${d.tenantId}, not ${tenantId}`);
          return {
            tenant_id: tenantId,
            source: d.source,
            external_id: d.externalId,
            taken_at: takenAt,
            input_hash: dealInputHash(d),
            data: storableJson(d),
          };
        });
        const failed = await writeIsolating(rows, async (batch) => void (await db.insertInto('deal_snapshots').values(batch).execute()));
        out.inserted += rows.length - failed.length;
        for (const f of failed) out.rejected.push({ externalId: f.item.external_id, ...describeStoreError(f.error) });
      }
      return out;
    },
    /** Each deal's latest snapshot hash: a snapshot is taken only when the deal changed since. */
    async latestHashes(tenantId: string, source: string, ids: string[]): Promise<Map<string, string>> {
      if (ids.length === 0) return new Map();
      const rows = await db
        .selectFrom('deal_snapshots')
        .distinctOn('external_id')
        .select(['external_id', 'input_hash'])
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .where('external_id', 'in', ids)
        .orderBy('external_id')
        .orderBy('taken_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return new Map(rows.map((r) => [r.external_id, r.input_hash]));
    },
    async forDeal(tenantId: string, source: string, externalId: string): Promise<Snapshot[]> {
      const rows = await db
        .selectFrom('deal_snapshots')
        .select(['id', 'taken_at', 'data'])
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .where('external_id', '=', externalId)
        .orderBy('taken_at')
        .execute();
      return rows.map((r) => ({ takenAt: r.taken_at, deal: dealFromJson(r.data, 'deal_snapshots', String(r.id)) }));
    },
    /**
     * Snapshots of the tenant's closed deals (closed at or after `closedSince` when given), taken
     * while they were open and before they closed: point-in-time training rows. A deal snapshotted
     * every hour for months has thousands; training uses `perDeal` of them spread evenly over its
     * open life (rows.ts `evenly`), so only those are read: what training holds is bounded by
     * deals × perDeal however long the history. The window sorts ids, not documents; the
     * picked documents are joined afterwards.
     */
    async forClosedDeals(
      tenantId: string,
      o: { closedSince?: Date | null; perDeal: number },
    ): Promise<Array<Snapshot & { source: string; externalId: string }>> {
      const k = Math.max(1, Math.floor(o.perDeal));
      const since = o.closedSince ? sql`and d.closed_at >= ${o.closedSince}` : sql``;
      const r = await sql<{ id: number; source: string; external_id: string; taken_at: Date; data: unknown }>`
        select p.id, p.source, p.external_id, p.taken_at, p.data from deal_snapshots p join (
          select id from (
            select s.id, row_number() over w - 1 as i, count(*) over (partition by s.source, s.external_id) as n
            from deal_snapshots s
            join deals d on d.tenant_id = s.tenant_id and d.source = s.source and d.external_id = s.external_id
            where s.tenant_id = ${tenantId} and d.status <> 'open' and d.deleted_at is null ${since}
              and (d.closed_at is null or s.taken_at < d.closed_at)
              and s.data->'stage'->>'status' = 'open'
            window w as (partition by s.source, s.external_id order by s.taken_at, s.id)
          ) x
          where n <= ${k} or i in (select floor((j + 0.5) * n / ${k}) from generate_series(0, ${k} - 1) as j)
        ) picked on picked.id = p.id
        order by p.source, p.external_id, p.taken_at, p.id`.execute(db);
      return r.rows.map((row) => ({
        source: row.source,
        externalId: row.external_id,
        takenAt: new Date(row.taken_at),
        deal: dealFromJson(row.data, 'deal_snapshots', String(row.id)),
      }));
    },
    async count(tenantId: string): Promise<number> {
      const r = await db
        .selectFrom('deal_snapshots')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      return r?.n ?? 0;
    },
    /** Snapshots of deals that closed before `closedBefore` (their history has aged out). */
    async purgeClosedBefore(tenantId: string, closedBefore: Date): Promise<number> {
      const r = await db
        .deleteFrom('deal_snapshots as s')
        .where('s.tenant_id', '=', tenantId)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('deals as d')
              .select('d.external_id')
              .whereRef('d.tenant_id', '=', 's.tenant_id')
              .whereRef('d.source', '=', 's.source')
              .whereRef('d.external_id', '=', 's.external_id')
              .where('d.status', '!=', 'open')
              .where('d.closed_at', '<', closedBefore),
          ),
        )
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type SnapshotsRepo = ReturnType<typeof snapshotsRepo>;
