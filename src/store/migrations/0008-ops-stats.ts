import { type Kysely, sql } from 'kysely';

/**
 * The operator's metrics count unsent write-backs across every tenant at each scrape: this index
 * holds only those (sent rows, kept for the retention period, are most of the table).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`create index writebacks_unsent on writebacks (source, kind, status, created_at) where status <> 'sent'`).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('drop index writebacks_unsent').execute(db);
}
