import { type Kysely, sql } from 'kysely';

/**
 * Real-time rescoring for a CRM that sends no webhook (Salesforce without change events): a
 * worker asks it every minute which records changed. Per connection: where the poll resumes
 * (the connector's opaque mark) and when it last ran, on the database clock, so one worker of
 * many polls each interval.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('connections').addColumn('changes_mark', 'text').execute();
  await db.schema.alterTable('connections').addColumn('changes_polled_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('alter table connections drop column if exists changes_polled_at, drop column if exists changes_mark').execute(db);
}
