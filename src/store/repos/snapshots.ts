import { sql } from 'kysely';
import type { Deal } from '../../core/deal.ts';
import { dealInputHash } from '../../core/deal-hash.ts';
import type { Db } from '../db.ts';
import { dealFromJson, dealToJson } from '../deal-json.ts';

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
    async insertMany(tenantId: string, deals: Deal[], takenAt: Date): Promise<number> {
      for (let i = 0; i < deals.length; i += CHUNK) {
        const rows = deals.slice(i, i + CHUNK).map((d) => {
          if (d.tenantId !== tenantId) throw new Error(`deal ${d.externalId} belongs to tenant ${d.tenantId}, not ${tenantId}`);
          return { tenant_id: tenantId, source: d.source, external_id: d.externalId, taken_at: takenAt, input_hash: dealInputHash(d), data: dealToJson(d) };
        });
        await db.insertInto('deal_snapshots').values(rows).execute();
      }
      return deals.length;
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
        .select(['taken_at', 'data'])
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .where('external_id', '=', externalId)
        .orderBy('taken_at')
        .execute();
      return rows.map((r) => ({ takenAt: r.taken_at, deal: dealFromJson(r.data) }));
    },
    /**
     * Snapshots of the tenant's closed deals (closed at or after `closedSince` when given), taken
     * while they were open: point-in-time training rows.
     */
    async forClosedDeals(tenantId: string, closedSince: Date | null = null): Promise<Array<Snapshot & { source: string; externalId: string }>> {
      let q = db
        .selectFrom('deal_snapshots as s')
        .innerJoin('deals as d', (j) =>
          j.onRef('d.tenant_id', '=', 's.tenant_id').onRef('d.source', '=', 's.source').onRef('d.external_id', '=', 's.external_id'),
        )
        .select(['s.source', 's.external_id', 's.taken_at', 's.data'])
        .where('s.tenant_id', '=', tenantId)
        .where('d.status', '!=', 'open')
        .where('d.deleted_at', 'is', null);
      if (closedSince) q = q.where('d.closed_at', '>=', closedSince);
      const rows = await q
        .orderBy('s.external_id')
        .orderBy('s.taken_at')
        .execute();
      return rows.map((r) => ({ source: r.source, externalId: r.external_id, takenAt: r.taken_at, deal: dealFromJson(r.data) }));
    },
    async count(tenantId: string): Promise<number> {
      const r = await db.selectFrom('deal_snapshots').select(sql<number>`count(*)::int`.as('n')).where('tenant_id', '=', tenantId).executeTakeFirst();
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
