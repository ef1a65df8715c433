import { type Kysely, sql } from 'kysely';

/**
 * Real time, accounted truthfully (issue 17). `rescore_queue.origin`: what queued a deal, a CRM
 * webhook or our own change poll, so the run that serves it is labelled by what triggered it.
 * `change_poll_calls`: the API calls the change poll spends, per connection and hour. A poll runs
 * outside any sync run (every `realtime.pollSeconds`, about 1,920 a day at 45 s), so without this
 * its calls would count against the CRM's daily limit yet appear on no run record, and the
 * Salesforce budget (make-connector's rolling 24 h) would not see them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('rescore_queue')
    .addColumn('origin', 'text', (c) => c.notNull().defaultTo('webhook'))
    .execute();
  await db.schema
    .createTable('change_poll_calls')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('hour', 'timestamptz', (c) => c.notNull())
    .addColumn('polls', 'integer', (c) => c.notNull())
    .addColumn('calls', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('change_poll_calls_pk', ['tenant_id', 'connection_id', 'hour'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('change_poll_calls').ifExists().execute();
  await sql.raw('alter table rescore_queue drop column if exists origin').execute(db);
}
