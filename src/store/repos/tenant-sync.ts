import { sql } from 'kysely';
import type { Db } from '../db.ts';
import { parseStored, StoredObject } from '../stored-json.ts';

export interface TenantSyncState {
  tenantId: string;
  leaseHolder: string | null;
  leaseUntil: Date | null;
  lastSlotAt: Date | null;
  requestedAt: Date | null;
  requestedBy: string | null;
  lastDigestOn: string | null;
  lastPurgeAt: Date | null;
  drift: Record<string, unknown> | null;
  lastTrainAt: Date | null;
  lastTrain: Record<string, unknown> | null;
}

/**
 * Per-tenant worker bookkeeping. Leases use the database clock (`now()`), not the worker's, so
 * workers on different machines agree on when a lease has expired.
 */
/** Daily checks the worker's poll makes per tenant, each due at a time stored per tenant. */
export type DueCheck = 'digest' | 'quarter';
const DUE_COLUMN = { digest: 'digest_due_at', quarter: 'quarter_due_at' } as const;

export function tenantSyncRepo(db: Db) {
  const ensure = async (tenantId: string): Promise<void> => {
    await db
      .insertInto('tenant_sync')
      .values({ tenant_id: tenantId })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute();
  };
  return {
    ensure,
    async get(tenantId: string): Promise<TenantSyncState | null> {
      const r = await db.selectFrom('tenant_sync').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
      if (!r) return null;
      return {
        tenantId: r.tenant_id,
        leaseHolder: r.lease_holder,
        leaseUntil: r.lease_until,
        lastSlotAt: r.last_slot_at,
        requestedAt: r.requested_at,
        requestedBy: r.requested_by,
        lastDigestOn: r.last_digest_on,
        lastPurgeAt: r.last_purge_at,
        drift: parseStored(StoredObject.nullable(), r.drift, { table: 'tenant_sync', row: tenantId, column: 'drift' }),
        lastTrainAt: r.last_train_at,
        lastTrain: parseStored(StoredObject.nullable(), r.last_train, { table: 'tenant_sync', row: tenantId, column: 'last_train' }),
      };
    },

    /**
     * Claims the tenant's lease for `ttlMs` when it is free, expired, or already ours. One
     * statement: of two workers racing, Postgres lets exactly one row update through.
     */
    async claimLease(tenantId: string, holder: string, ttlMs: number): Promise<boolean> {
      const r = await sql<{ tenant_id: string }>`
        insert into tenant_sync (tenant_id, lease_holder, lease_until)
        values (${tenantId}, ${holder}, now() + ${ttlMs} * interval '1 millisecond')
        on conflict (tenant_id) do update
          set lease_holder = excluded.lease_holder, lease_until = excluded.lease_until
          where tenant_sync.lease_until is null or tenant_sync.lease_until < now() or tenant_sync.lease_holder = excluded.lease_holder
        returning tenant_id`.execute(db);
      return r.rows.length === 1;
    },
    /** Extends our lease; false when it was lost (expired and claimed by another worker). */
    async renewLease(tenantId: string, holder: string, ttlMs: number): Promise<boolean> {
      const r = await sql<{ tenant_id: string }>`
        update tenant_sync set lease_until = now() + ${ttlMs} * interval '1 millisecond'
        where tenant_id = ${tenantId} and lease_holder = ${holder} and lease_until >= now()
        returning tenant_id`.execute(db);
      return r.rows.length === 1;
    },
    async releaseLease(tenantId: string, holder: string): Promise<void> {
      await db
        .updateTable('tenant_sync')
        .set({ lease_holder: null, lease_until: null })
        .where('tenant_id', '=', tenantId)
        .where('lease_holder', '=', holder)
        .execute();
    },

    /**
     * Marks an hourly slot as taken; false when another worker (or an earlier start) took it.
     * One statement: of workers racing for the slot, exactly one row update goes through.
     */
    async claimSlot(tenantId: string, slot: Date): Promise<boolean> {
      const r = await sql<{ tenant_id: string }>`
        insert into tenant_sync (tenant_id, last_slot_at) values (${tenantId}, ${slot})
        on conflict (tenant_id) do update set last_slot_at = excluded.last_slot_at
          where tenant_sync.last_slot_at is null or tenant_sync.last_slot_at < excluded.last_slot_at
        returning tenant_id`.execute(db);
      return r.rows.length === 1;
    },
    /** Tenants whose last slot run is older than `slot` (or who never ran one): the catch-up at start. */
    async behindSlot(slot: Date): Promise<string[]> {
      const r = await sql<{ id: string }>`
        select t.id from tenants t left join tenant_sync s on s.tenant_id = t.id
        where s.last_slot_at is null or s.last_slot_at < ${slot}
        order by t.id`.execute(db);
      return r.rows.map((x) => x.id);
    },
    /**
     * Tenants whose lease expired without being released: the worker running them died (or hung
     * past its TTL). Their run stopped half-way; the next run, wherever it runs, resumes it.
     */
    async expiredLeases(limit = 100): Promise<string[]> {
      const r = await sql<{ tenant_id: string }>`
        select tenant_id from tenant_sync
        where lease_holder is not null and lease_until < now()
        order by lease_until limit ${limit}`.execute(db);
      return r.rows.map((x) => x.tenant_id);
    },
    /**
     * Tenants whose daily digest check or closed-quarter check is due at `now`: one indexed
     * query, however many tenants there are. The checker sets the next due time (setDue).
     */
    async due(what: DueCheck, now: Date, limit = 500): Promise<string[]> {
      const r = await sql<{ tenant_id: string }>`
        select tenant_id from tenant_sync where ${sql.ref(DUE_COLUMN[what])} <= ${now}
        order by ${sql.ref(DUE_COLUMN[what])} limit ${limit}`.execute(db);
      return r.rows.map((x) => x.tenant_id);
    },
    /** Tenants last purged before `before` (or never): retention's daily round. */
    async purgeDue(before: Date, limit = 500): Promise<string[]> {
      const r = await sql<{ tenant_id: string }>`
        select tenant_id from tenant_sync where last_purge_at is null or last_purge_at < ${before}
        order by last_purge_at nulls first limit ${limit}`.execute(db);
      return r.rows.map((x) => x.tenant_id);
    },
    /** When the tenant's check is next due; null = not until its settings change. */
    async setDue(tenantId: string, what: DueCheck, at: Date | null): Promise<void> {
      await sql`
        insert into tenant_sync (tenant_id, ${sql.ref(DUE_COLUMN[what])}) values (${tenantId}, ${at ?? sql`'infinity'::timestamptz`})
        on conflict (tenant_id) do update set ${sql.ref(DUE_COLUMN[what])} = excluded.${sql.ref(DUE_COLUMN[what])}`.execute(db);
    },

    /** "Sync now": any worker picks the request up on its next poll. */
    async request(tenantId: string, by: string | null, at: Date): Promise<void> {
      await ensure(tenantId);
      await db.updateTable('tenant_sync').set({ requested_at: at, requested_by: by }).where('tenant_id', '=', tenantId).execute();
    },
    /** Tenants with a pending "sync now". */
    async requested(): Promise<Array<{ tenantId: string; requestedAt: Date }>> {
      const rows = await db.selectFrom('tenant_sync').select(['tenant_id', 'requested_at']).where('requested_at', 'is not', null).execute();
      return rows.map((r) => ({ tenantId: r.tenant_id, requestedAt: r.requested_at! }));
    },
    /** Clears a request the run has served (a newer request made meanwhile stays). */
    async clearRequest(tenantId: string, upTo: Date): Promise<void> {
      await db
        .updateTable('tenant_sync')
        .set({ requested_at: null, requested_by: null })
        .where('tenant_id', '=', tenantId)
        .where('requested_at', '<=', upTo)
        .execute();
    },

    async markDigestSent(tenantId: string, localDate: string): Promise<boolean> {
      await ensure(tenantId);
      const r = await db
        .updateTable('tenant_sync')
        .set({ last_digest_on: localDate })
        .where('tenant_id', '=', tenantId)
        .where((eb) => eb.or([eb('last_digest_on', 'is', null), eb('last_digest_on', '<', localDate)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async markPurged(tenantId: string, at: Date): Promise<void> {
      await ensure(tenantId);
      await db.updateTable('tenant_sync').set({ last_purge_at: at }).where('tenant_id', '=', tenantId).execute();
    },
    /** The last training attempt and its gate decision (TrainDecision, stored as JSON). */
    async recordTraining(tenantId: string, at: Date, decision: object): Promise<void> {
      await ensure(tenantId);
      await db
        .updateTable('tenant_sync')
        .set({ last_train_at: at, last_train: JSON.stringify(decision) })
        .where('tenant_id', '=', tenantId)
        .execute();
    },
    /** The drift the last run measured (DriftReport with the model checked and when, stored as JSON). */
    async saveDrift(tenantId: string, drift: object): Promise<void> {
      await ensure(tenantId);
      await db
        .updateTable('tenant_sync')
        .set({ drift: JSON.stringify(drift) })
        .where('tenant_id', '=', tenantId)
        .execute();
    },
  };
}
export type TenantSyncRepo = ReturnType<typeof tenantSyncRepo>;
