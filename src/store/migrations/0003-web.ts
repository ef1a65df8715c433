import { type Kysely, sql } from 'kysely';

/**
 * The web app's tables: people (users per tenant, with a role), their sessions, OAuth flows in
 * progress, API keys, idempotency records; and `deal_risk`, the current risk of every deal.
 *
 * `deal_risk` exists for the dashboard and `GET /v1/deals/high-risk`: the latest score per deal
 * out of the `scores` history is a DISTINCT ON over the whole history, far too slow to sort and
 * page at 100,000 deals. Two statement-level triggers keep it current without any writer having
 * to know: new scores land in it, and a deal that closes, is deleted or changes owner/amount
 * updates its row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('crm', 'text', (c) => c.notNull())
    .addColumn('crm_user_id', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('name', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_login_at', 'timestamptz')
    .addUniqueConstraint('users_identity', ['tenant_id', 'crm', 'crm_user_id'])
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').columns(['tenant_id', 'user_id']).execute();

  await db.schema
    .createTable('oauth_states')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('browser_hash', 'text', (c) => c.notNull())
    .addColumn('crm', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('connection_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('rate_per_minute', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('api_keys_tenant').on('api_keys').columns(['tenant_id', 'created_at']).execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('response', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['tenant_id', 'principal', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_age').on('idempotency_keys').column('created_at').execute();

  await db.schema
    .createTable('deal_risk')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('score_id', 'bigint', (c) => c.notNull())
    .addColumn('model_id', 'bigint')
    .addColumn('scored_at', 'timestamptz', (c) => c.notNull())
    .addColumn('score', 'integer', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('win_probability', 'double precision', (c) => c.notNull())
    .addColumn('model_status', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull())
    .addColumn('is_open', 'boolean', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('amount', 'double precision')
    .addColumn('owner_id', 'text')
    .addColumn('owner_name', 'text')
    .addColumn('segment', 'text')
    .addColumn('stage', 'text')
    .addColumn('created_at', 'timestamptz')
    .addPrimaryKeyConstraint('deal_risk_pk', ['tenant_id', 'source', 'external_id'])
    .execute();
  for (const [name, cols] of [
    ['deal_risk_score', 'tenant_id, score desc, source, external_id'],
    ['deal_risk_category', 'tenant_id, category, score desc'],
    ['deal_risk_owner', 'tenant_id, owner_id, score desc'],
    ['deal_risk_amount', 'tenant_id, amount desc nulls last'],
    ['deal_risk_age', 'tenant_id, created_at'],
  ] as const) {
    await sql.raw(`create index ${name} on deal_risk (${cols}) where is_open`).execute(db);
  }

  // The deal columns copied into deal_risk, as one expression list for both triggers.
  const dealCols = `(d.status = 'open' and d.deleted_at is null), d.data->>'name', d.amount, d.owner_id, d.owner_name,
    d.data->'account'->>'industry', d.data->'stage'->>'label', d.created_at`;

  await sql
    .raw(
      `create function deal_risk_from_scores() returns trigger language plpgsql as $$
begin
  insert into deal_risk (tenant_id, source, external_id, score_id, model_id, scored_at, score, category, win_probability,
                         model_status, detail, is_open, name, amount, owner_id, owner_name, segment, stage, created_at)
  select distinct on (n.tenant_id, n.source, n.external_id)
         n.tenant_id, n.source, n.external_id, n.id, n.model_id, n.scored_at, n.score, n.category, n.win_probability,
         n.model_status, n.detail, ${dealCols}
    from new_scores n
    join deals d on d.tenant_id = n.tenant_id and d.source = n.source and d.external_id = n.external_id
   order by n.tenant_id, n.source, n.external_id, n.scored_at desc, n.id desc
  on conflict (tenant_id, source, external_id) do update set
    score_id = excluded.score_id, model_id = excluded.model_id, scored_at = excluded.scored_at, score = excluded.score,
    category = excluded.category, win_probability = excluded.win_probability, model_status = excluded.model_status,
    detail = excluded.detail, is_open = excluded.is_open, name = excluded.name, amount = excluded.amount,
    owner_id = excluded.owner_id, owner_name = excluded.owner_name, segment = excluded.segment, stage = excluded.stage,
    created_at = excluded.created_at
  where excluded.scored_at >= deal_risk.scored_at;
  return null;
end $$`,
    )
    .execute(db);
  await sql
    .raw(
      `create trigger scores_to_deal_risk after insert on scores
       referencing new table as new_scores for each statement execute function deal_risk_from_scores()`,
    )
    .execute(db);

  // Only rows whose copied values differ are written, so an unchanged hourly sync costs nothing here.
  await sql
    .raw(
      `create function deal_risk_from_deals() returns trigger language plpgsql as $$
begin
  update deal_risk r
     set (is_open, name, amount, owner_id, owner_name, segment, stage, created_at) = (${dealCols})
    from new_deals d
   where r.tenant_id = d.tenant_id and r.source = d.source and r.external_id = d.external_id
     and (r.is_open, r.name, r.amount, r.owner_id, r.owner_name, r.segment, r.stage, r.created_at)
         is distinct from (${dealCols});
  return null;
end $$`,
    )
    .execute(db);
  await sql
    .raw(
      `create trigger deals_to_deal_risk after update on deals
       referencing new table as new_deals for each statement execute function deal_risk_from_deals()`,
    )
    .execute(db);

  // Scores written before this migration.
  await sql
    .raw(
      `insert into deal_risk (tenant_id, source, external_id, score_id, model_id, scored_at, score, category, win_probability,
                              model_status, detail, is_open, name, amount, owner_id, owner_name, segment, stage, created_at)
       select distinct on (n.tenant_id, n.source, n.external_id)
              n.tenant_id, n.source, n.external_id, n.id, n.model_id, n.scored_at, n.score, n.category, n.win_probability,
              n.model_status, n.detail, ${dealCols}
         from scores n
         join deals d on d.tenant_id = n.tenant_id and d.source = n.source and d.external_id = n.external_id
        order by n.tenant_id, n.source, n.external_id, n.scored_at desc, n.id desc`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('drop trigger if exists deals_to_deal_risk on deals').execute(db);
  await sql.raw('drop trigger if exists scores_to_deal_risk on scores').execute(db);
  await sql.raw('drop function if exists deal_risk_from_deals()').execute(db);
  await sql.raw('drop function if exists deal_risk_from_scores()').execute(db);
  for (const t of ['deal_risk', 'idempotency_keys', 'api_keys', 'oauth_states', 'sessions', 'users']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
