import { type Kysely, sql } from 'kysely';

/**
 * Issue 16, action outcomes. `action_tasks`: each playbook task we created, with the deal's risk
 * band, score and segment when it was recommended, and what the rep did with it (read back from
 * the CRM). `action_task_marks`: per tenant and CRM, how far sent tasks have been taken in, and
 * the connector's mark for reading task changes. The partial index on `writebacks` finds the
 * task rows sent since the last run without scanning the history.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('action_tasks')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('task_key', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('rule', 'text')
    .addColumn('task_id', 'text')
    .addColumn('owner_id', 'text')
    .addColumn('owner_name', 'text')
    .addColumn('recommended_at', 'timestamptz', (c) => c.notNull())
    .addColumn('score', 'integer', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('segment', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('completed_at', 'timestamptz')
    .addColumn('checked_at', 'timestamptz')
    .addPrimaryKeyConstraint('action_tasks_pk', ['tenant_id', 'task_key'])
    .execute();
  await sql`create index action_tasks_open on action_tasks (tenant_id, source, recommended_at) where status = 'open'`.execute(db);
  await db.schema
    .createTable('action_task_marks')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('imported_until', 'timestamptz')
    .addColumn('read_mark', 'text')
    .addColumn('read_at', 'timestamptz')
    .addPrimaryKeyConstraint('action_task_marks_pk', ['tenant_id', 'source'])
    .execute();
  await sql`create index writebacks_task_sent on writebacks (tenant_id, source, sent_at) where kind = 'task' and status = 'sent'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists writebacks_task_sent`.execute(db);
  for (const t of ['action_task_marks', 'action_tasks']) await db.schema.dropTable(t).ifExists().execute();
}
