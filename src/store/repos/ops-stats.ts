import { sql } from 'kysely';
import type { Db } from '../db.ts';

/** Items waiting in one queue, by a bounded key (CRM and kind, or channel), and the oldest one's age. */
export interface QueueDepth {
  /** salesforce / hubspot / csv for the outbox and rescore queue; slack / email for deliveries. */
  key: string;
  /** fields / task (outbox), alert / digest (deliveries), deal (rescore queue). */
  kind: string;
  /** pending = not tried yet or due again; failed = waiting to be retried; dead = given up. */
  status: 'pending' | 'failed' | 'dead';
  count: number;
  oldestAgeSeconds: number;
}

export interface OpsStats {
  outbox: QueueDepth[];
  deliveries: QueueDepth[];
  rescore: QueueDepth[];
  /** Tenants by their active model's status; `none` = no active model yet. */
  modelStatus: Array<{ status: string; tenants: number }>;
  /** Tenants a worker holds the lease of right now (runs in progress). */
  leasesHeld: number;
}

type Row = { key: string; kind: string; status: string; n: number | string; age: number | string | null };
const toDepth = (r: Row): QueueDepth => ({
  key: r.key,
  kind: r.kind,
  status: r.status as QueueDepth['status'],
  count: Number(r.n),
  oldestAgeSeconds: Math.max(0, Number(r.age ?? 0)),
});

/**
 * Counts across every tenant, for the operator's metrics: how many, how old, never which tenant
 * or what a record holds. Each query is one aggregate over an index or a small table (queue
 * rows leave when sent; sent rows are skipped by `writebacks_unsent` / `deliveries_due`).
 */
export function opsStatsRepo(db: Db) {
  return {
    async collect(now: Date): Promise<OpsStats> {
      const at = now.toISOString();
      const age = (col: string) => sql<number>`extract(epoch from (${at}::timestamptz - min(${sql.ref(col)})))::float8`;
      const outbox = await sql<Row>`
        select source as key, kind, status, count(*) as n, ${age('created_at')} as age
        from writebacks where status <> 'sent' group by source, kind, status`.execute(db);
      const deliveries = await sql<Row>`
        select channel as key, kind, status, count(*) as n, ${age('created_at')} as age
        from deliveries where status in ('pending', 'failed', 'dead') group by channel, kind, status`.execute(db);
      const rescore = await sql<Row>`
        select source as key, 'deal' as kind, 'pending' as status, count(*) as n, ${age('requested_at')} as age
        from rescore_queue group by source`.execute(db);
      const models = await sql<{ status: string; n: number | string }>`
        select coalesce(m.status, 'none') as status, count(*) as n
        from tenants t left join models m on m.tenant_id = t.id and m.active
        group by 1`.execute(db);
      const leases = await sql<{ n: number | string }>`
        select count(*) as n from tenant_sync where lease_until > now()`.execute(db);
      return {
        outbox: outbox.rows.map(toDepth),
        deliveries: deliveries.rows.map(toDepth),
        rescore: rescore.rows.map(toDepth),
        modelStatus: models.rows.map((r) => ({ status: r.status, tenants: Number(r.n) })),
        leasesHeld: Number(leases.rows[0]?.n ?? 0),
      };
    },
  };
}
