import { type Kysely, sql } from 'kysely';

/**
 * What the sync engine and the worker keep: per-tenant schedule and lease, per-deal sync state
 * (what was scored, what was written, alert bookkeeping), notification deliveries, the webhook
 * rescoring queue, and run details. Additive only: 0001's tables gain columns, none lose any.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per tenant: the lease (claimed atomically, expires when its worker dies), the last
  // hourly slot that ran (so a missed slot is caught up once), "sync now" requests, digest day.
  await db.schema
    .createTable('tenant_sync')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('lease_holder', 'text')
    .addColumn('lease_until', 'timestamptz')
    .addColumn('last_slot_at', 'timestamptz')
    .addColumn('requested_at', 'timestamptz')
    .addColumn('requested_by', 'text')
    .addColumn('last_digest_on', 'text')
    .addColumn('last_purge_at', 'timestamptz')
    .addColumn('drift', 'jsonb')
    .addColumn('last_train_at', 'timestamptz')
    .addColumn('last_train', 'jsonb')
    .execute();

  // Per deal: the inputs and model its current score came from, the written values (hash) we
  // last queued for the CRM, and when it last raised an alert. Every step reads and writes
  // this table, so a run that died half-way is finished by the next one.
  await db.schema
    .createTable('deal_sync_state')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('scored_hash', 'text', (c) => c.notNull())
    .addColumn('scored_at', 'timestamptz', (c) => c.notNull())
    .addColumn('model_id', 'bigint')
    .addColumn('score', 'integer', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('model_status', 'text', (c) => c.notNull())
    .addColumn('risk', 'jsonb', (c) => c.notNull())
    .addColumn('values_hash', 'text', (c) => c.notNull())
    .addColumn('written_hash', 'text')
    .addColumn('written_at', 'timestamptz')
    .addColumn('alert_due_at', 'timestamptz')
    .addColumn('last_alert_at', 'timestamptz')
    .addPrimaryKeyConstraint('deal_sync_state_pk', ['tenant_id', 'source', 'external_id'])
    .execute();
  await db.schema
    .createIndex('deal_sync_state_unwritten')
    .on('deal_sync_state')
    .columns(['tenant_id', 'source'])
    .where(sql.ref('written_hash'), 'is distinct from', sql.ref('values_hash'))
    .execute();
  await db.schema
    .createIndex('deal_sync_state_alert_due')
    .on('deal_sync_state')
    .columns(['tenant_id', 'source'])
    .where(sql.ref('alert_due_at'), 'is not', null)
    .execute();

  // Outbox: retries wait their turn, one open risk-field write per deal, one task per key ever.
  await db.schema.alterTable('writebacks').addColumn('next_attempt_at', 'timestamptz').execute();
  await db.schema.alterTable('writebacks').addColumn('updated_at', 'timestamptz').execute();
  await db.schema.alterTable('writebacks').addColumn('result', 'jsonb').execute();
  await sql`create unique index writebacks_fields_open on writebacks (tenant_id, key) where kind = 'fields' and status in ('pending', 'failed')`.execute(
    db,
  );
  await sql`create unique index writebacks_task_key on writebacks (tenant_id, key) where kind = 'task'`.execute(db);

  // Slack and email notifications (alerts and digests): retried, recorded, never blocking a run.
  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz')
    .addUniqueConstraint('deliveries_key', ['tenant_id', 'key'])
    .execute();
  await db.schema.createIndex('deliveries_due').on('deliveries').columns(['status', 'next_attempt_at']).execute();

  // Alerts raised (the admin view lists them; "at most one per deal per 24 h" reads them too).
  await db.schema
    .createTable('alerts')
    .addColumn('id', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('raised_at', 'timestamptz', (c) => c.notNull())
    .addColumn('score', 'integer', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alerts_tenant').on('alerts').columns(['tenant_id', 'raised_at']).execute();

  // Deals a webhook reported changed: rescored within a minute instead of at the next hour.
  await db.schema
    .createTable('rescore_queue')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('rescore_queue_pk', ['tenant_id', 'source', 'external_id'])
    .execute();

  // Run details the admin view shows: duration, rejected records with reasons, per-step timing.
  await db.schema.alterTable('sync_runs').addColumn('duration_ms', 'integer').execute();
  await db.schema
    .alterTable('sync_runs')
    .addColumn('rejected', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  await db.schema
    .alterTable('sync_runs')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.alterTable('sync_runs').addColumn('holder', 'text').execute();

  await db.schema.createIndex('deal_snapshots_taken').on('deal_snapshots').columns(['tenant_id', 'taken_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['rescore_queue', 'alerts', 'deliveries', 'deal_sync_state', 'tenant_sync']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
  await sql`drop index if exists deal_snapshots_taken`.execute(db);
  await sql`drop index if exists writebacks_fields_open`.execute(db);
  await sql`drop index if exists writebacks_task_key`.execute(db);
  for (const c of ['next_attempt_at', 'updated_at', 'result']) await db.schema.alterTable('writebacks').dropColumn(c).execute();
  for (const c of ['duration_ms', 'rejected', 'details', 'holder']) await db.schema.alterTable('sync_runs').dropColumn(c).execute();
}
