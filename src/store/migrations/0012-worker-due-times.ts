import { type Kysely, sql } from 'kysely';

/**
 * When each tenant's daily housekeeping is next due (issue 18): the worker's poll asks for the
 * tenants whose digest or closed-quarter check is due, one indexed query, instead of looking at
 * every tenant every 10 seconds. '-infinity' = due now (a new tenant, or settings just changed).
 * Every tenant has its tenant_sync row from now on (tenants.ensure adds it), so the due queries
 * and the slot bookkeeping read one table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tenant_sync
    add column digest_due_at timestamptz not null default '-infinity',
    add column quarter_due_at timestamptz not null default '-infinity'`.execute(db);
  await sql`insert into tenant_sync (tenant_id) select id from tenants on conflict (tenant_id) do nothing`.execute(db);
  await sql`create index tenant_sync_digest_due on tenant_sync (digest_due_at)`.execute(db);
  await sql`create index tenant_sync_quarter_due on tenant_sync (quarter_due_at)`.execute(db);
  // Leases left by a worker that died: the poll looks for expired ones among the few held.
  await sql`create index tenant_sync_lease_held on tenant_sync (lease_until) where lease_holder is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists tenant_sync_lease_held`.execute(db);
  await sql`alter table tenant_sync drop column if exists digest_due_at, drop column if exists quarter_due_at`.execute(db);
}
