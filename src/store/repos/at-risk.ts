import { sql } from 'kysely';
import type { Db } from '../db.ts';
import { dealFromJson } from '../deal-json.ts';
import { storedRiskPlan } from './sync-state.ts';

/** The open deals most at risk, from the sync engine's current scores (digests, alerts pages). */
export function atRiskRepo(db: Db) {
  return {
    /** Current scores of open deals at or above a risk score, highest first (digests). */
    async topRisks(tenantId: string, q: { minScore: number; ownerId?: string | null; limit: number }) {
      let query = db
        .selectFrom('deal_sync_state as s')
        .innerJoin('deals as d', (j) =>
          j.onRef('d.tenant_id', '=', 's.tenant_id').onRef('d.source', '=', 's.source').onRef('d.external_id', '=', 's.external_id'),
        )
        .select([
          's.source',
          's.external_id',
          's.score',
          's.category',
          's.model_status',
          's.risk',
          'd.data',
          'd.owner_id',
          'd.owner_name',
          'd.amount',
        ])
        .where('s.tenant_id', '=', tenantId)
        .where('d.status', '=', 'open')
        .where('d.deleted_at', 'is', null)
        .where('s.score', '>=', q.minScore);
      if (q.ownerId !== undefined)
        query = q.ownerId === null ? query.where('d.owner_id', 'is', null) : query.where('d.owner_id', '=', q.ownerId);
      const rows = await query.orderBy('s.score', 'desc').orderBy('d.amount', 'desc').orderBy('s.external_id').limit(q.limit).execute();
      return rows.map((r) => ({
        source: r.source,
        externalId: r.external_id,
        score: r.score,
        category: r.category,
        modelStatus: r.model_status,
        risk: storedRiskPlan(tenantId, r),
        deal: dealFromJson(r.data),
      }));
    },

    /** Owners with at least one open deal at or above the score. */
    async ownersAtRisk(
      tenantId: string,
      minScore: number,
    ): Promise<Array<{ ownerId: string | null; ownerName: string | null; deals: number }>> {
      const rows = await db
        .selectFrom('deal_sync_state as s')
        .innerJoin('deals as d', (j) =>
          j.onRef('d.tenant_id', '=', 's.tenant_id').onRef('d.source', '=', 's.source').onRef('d.external_id', '=', 's.external_id'),
        )
        .select(['d.owner_id', sql<string | null>`max(d.owner_name)`.as('owner_name'), sql<number>`count(*)::int`.as('n')])
        .where('s.tenant_id', '=', tenantId)
        .where('d.status', '=', 'open')
        .where('d.deleted_at', 'is', null)
        .where('s.score', '>=', minScore)
        .groupBy('d.owner_id')
        .orderBy('d.owner_id')
        .execute();
      return rows.map((r) => ({ ownerId: r.owner_id, ownerName: r.owner_name, deals: r.n }));
    },
  };
}
export type AtRiskRepo = ReturnType<typeof atRiskRepo>;
