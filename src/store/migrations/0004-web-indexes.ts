import { type Kysely, sql } from 'kysely';

/**
 * Filters of the deals page and `GET /v1/deals/high-risk` by owner name and by segment, case
 * insensitive: without these a filtered page scans every open deal of the tenant.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw('create index deal_risk_owner_name on deal_risk (tenant_id, lower(owner_name)) where is_open').execute(db);
  await sql.raw('create index deal_risk_segment on deal_risk (tenant_id, lower(segment)) where is_open').execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('drop index if exists deal_risk_segment').execute(db);
  await sql.raw('drop index if exists deal_risk_owner_name').execute(db);
}
