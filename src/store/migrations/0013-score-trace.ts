import { type Kysely, sql } from 'kysely';

/**
 * The risk change ledger (issue 15). `scores.trace`: what a scoring needs to be explained later
 * against another one: the model version, its baseline log-odds, every feature's contribution and
 * the input the model read (src/core/scoring/risk-change.ts, ScoreTrace). It lives on the history
 * row, so it is kept and purged with it (`retention.scoreHistoryDays`). Null on scores written
 * before this migration: a change from one of those is shown, not split.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('scores').addColumn('trace', 'jsonb').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('alter table scores drop column if exists trace').execute(db);
}
