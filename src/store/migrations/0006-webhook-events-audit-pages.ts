import { type Kysely, sql } from 'kysely';

/**
 * CRM webhook events already handled, shared by every web process and kept across restarts:
 * HubSpot delivers at least once and retries for a day, so an event is remembered until
 * `expires_at` (the worker's retention purge removes it after). Keyed before any tenant is known
 * (the portal comes from the signed event), by CRM and event key.
 *
 * And the audit page's keyset pages: newest first by id, with or without API-key reads, or of
 * one action.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_events')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('event_key', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_events_pk', ['source', 'event_key'])
    .execute();
  await db.schema.createIndex('webhook_events_expiry').on('webhook_events').column('expires_at').execute();

  await sql.raw('create index audit_log_tenant_id on audit_log (tenant_id, id)').execute(db);
  await sql.raw('create index audit_log_tenant_action on audit_log (tenant_id, action, id)').execute(db);
  // The page's default view leaves API-key reads out; this index holds only what it shows, so a
  // key's thousands of GETs never stand between the admin actions.
  await sql
    .raw(
      `create index audit_log_without_reads on audit_log (tenant_id, id) where not (action = 'api.request' and coalesce(target, '') ~ '^(GET|HEAD) ')`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const i of ['audit_log_without_reads', 'audit_log_tenant_action', 'audit_log_tenant_id'])
    await sql.raw(`drop index if exists ${i}`).execute(db);
  await db.schema.dropTable('webhook_events').ifExists().execute();
}
