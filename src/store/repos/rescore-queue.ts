import type { Db } from '../db.ts';
import type { RescoreOrigin } from '../schema.ts';

export type { RescoreOrigin } from '../schema.ts';

export interface QueuedDeal {
  source: string;
  externalId: string;
  requestedAt: Date;
  origin: RescoreOrigin;
}

/** Deals a CRM reported changed (webhook or change poll); the worker rescores them within a minute (src/sync/realtime.ts). */
export function rescoreQueueRepo(db: Db) {
  return {
    /** Queues deals; a deal queued again keeps one row, with the latest request's time and origin. */
    async add(tenantId: string, source: string, externalIds: string[], at: Date, origin: RescoreOrigin = 'webhook'): Promise<void> {
      if (externalIds.length === 0) return;
      const unique = [...new Set(externalIds)];
      await db
        .insertInto('rescore_queue')
        .values(unique.map((id) => ({ tenant_id: tenantId, source, external_id: id, requested_at: at, origin })))
        .onConflict((oc) =>
          oc
            .columns(['tenant_id', 'source', 'external_id'])
            .doUpdateSet((eb) => ({ requested_at: eb.ref('excluded.requested_at'), origin: eb.ref('excluded.origin') })),
        )
        .execute();
    },
    /** Tenants with queued deals, oldest request first. */
    async tenants(): Promise<Array<{ tenantId: string; oldest: Date; deals: number }>> {
      const rows = await db
        .selectFrom('rescore_queue')
        .select((eb) => ['tenant_id', eb.fn.min<Date>('requested_at').as('oldest'), eb.fn.countAll<number>().as('n')])
        .groupBy('tenant_id')
        .orderBy('oldest')
        .execute();
      return rows.map((r) => ({ tenantId: r.tenant_id, oldest: new Date(r.oldest), deals: Number(r.n) }));
    },
    async list(tenantId: string, source: string): Promise<Array<{ externalId: string; requestedAt: Date }>> {
      const rows = await db
        .selectFrom('rescore_queue')
        .select(['external_id', 'requested_at'])
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .orderBy('external_id')
        .execute();
      return rows.map((r) => ({ externalId: r.external_id, requestedAt: r.requested_at }));
    },
    /** Every queued deal of a tenant, of every source. */
    async listAll(tenantId: string): Promise<QueuedDeal[]> {
      const rows = await db
        .selectFrom('rescore_queue')
        .select(['source', 'external_id', 'requested_at', 'origin'])
        .where('tenant_id', '=', tenantId)
        .orderBy('source')
        .orderBy('external_id')
        .execute();
      return rows.map((r) => ({ source: r.source, externalId: r.external_id, requestedAt: r.requested_at, origin: r.origin }));
    },
    /** Removes what a run served, of any source; a request that arrived meanwhile (newer stamp) stays. */
    async removeServed(tenantId: string, served: Array<{ source: string; externalId: string; requestedAt: Date }>): Promise<void> {
      for (const s of served) await this.remove(tenantId, s.source, [s]);
    },
    /** Removes what a run served; a request that arrived meanwhile (newer stamp) stays. */
    async remove(tenantId: string, source: string, served: Array<{ externalId: string; requestedAt: Date }>): Promise<void> {
      for (const s of served) {
        await db
          .deleteFrom('rescore_queue')
          .where('tenant_id', '=', tenantId)
          .where('source', '=', source)
          .where('external_id', '=', s.externalId)
          .where('requested_at', '<=', s.requestedAt)
          .execute();
      }
    },
  };
}
export type RescoreQueueRepo = ReturnType<typeof rescoreQueueRepo>;
