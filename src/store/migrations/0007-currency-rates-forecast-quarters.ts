import { type Kysely, sql } from 'kysely';

/**
 * Issue 16. `currency_rates`: the exchange rates each CRM of a tenant reported (read at most once
 * a run, only for multi-currency tenants), kept so pages and the API convert without calling the
 * CRM; a failed read keeps the last good rates and says why. `forecast_quarters`: the track
 * record of each closed quarter (the reps' calls and the model's against what happened),
 * written once when the quarter has closed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('currency_rates')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('corporate', 'text')
    .addColumn('kind', 'text')
    .addColumn('rates', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('fetched_at', 'timestamptz')
    .addColumn('error', 'text')
    .addColumn('error_at', 'timestamptz')
    .addPrimaryKeyConstraint('currency_rates_pk', ['tenant_id', 'source'])
    .execute();
  await db.schema
    .createTable('forecast_quarters')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('quarter', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .addColumn('record', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('forecast_quarters_pk', ['tenant_id', 'quarter'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['forecast_quarters', 'currency_rates']) await db.schema.dropTable(t).ifExists().execute();
}
