import { type RawBuilder, type Selectable, sql } from 'kysely';
import type { Db } from '../db.ts';
import type { DealRiskTable } from '../schema.ts';
import { parseStored, StoredObject } from '../stored-json.ts';

export const RISK_CATEGORIES = ['Low', 'Medium', 'High', 'Critical'] as const;
export type RiskCategoryName = (typeof RISK_CATEGORIES)[number];

export type RiskSortKey = 'score' | 'amount' | 'age' | 'owner' | 'segment' | 'category' | 'name';

export interface RiskQuery {
  categories?: RiskCategoryName[];
  ownerId?: string;
  /** Owner id or name, matched case-insensitively (the filter box of the deals page). */
  owner?: string;
  segment?: string;
  minAmount?: number;
  maxAmount?: number;
  /** Created at or before this moment (deal age at least N days). */
  createdBefore?: Date;
  /** Created at or after this moment (deal age at most N days). */
  createdAfter?: Date;
  sortBy?: RiskSortKey;
  order?: 'asc' | 'desc';
  /**
   * Sort and filter on amounts converted into this currency (the tenant's reporting currency) at
   * the stored rate in force on each deal's close date, as `currencyConverter` converts them; a
   * deal no rate converts sorts last and matches no amount filter. Absent: amounts as the CRM gave them.
   */
  amountIn?: { currency: string; asOf: Date };
  limit: number;
  offset: number;
}

/**
 * Counting stops here: an exact count of 100,000 matches costs more than the page itself, and a
 * list of more than a thousand deals needing attention is read as "1,000+". Exact figures per
 * category are in the risk distribution (pipeline metrics).
 */
export const COUNT_CAP = 1_000;

export interface RiskRow {
  source: string;
  externalId: string;
  name: string | null;
  amount: number | null;
  ownerId: string | null;
  ownerName: string | null;
  segment: string | null;
  stage: string | null;
  createdAt: Date | null;
  score: number;
  category: string;
  winProbability: number;
  modelStatus: string;
  modelId: number | null;
  scoredAt: Date;
  detail: Record<string, unknown>;
}

type Row = Pick<Selectable<DealRiskTable>, (typeof COLS)[number]>;
const toRow =
  (tenantId: string) =>
  (r: Row): RiskRow => ({
    source: r.source,
    externalId: r.external_id,
    name: r.name,
    amount: r.amount,
    ownerId: r.owner_id,
    ownerName: r.owner_name,
    segment: r.segment,
    stage: r.stage,
    createdAt: r.created_at,
    score: r.score,
    category: r.category,
    winProbability: r.win_probability,
    modelStatus: r.model_status,
    modelId: r.model_id,
    scoredAt: r.scored_at,
    detail: parseStored(StoredObject, r.detail, { table: 'deal_risk', row: `${tenantId}/${r.source}/${r.external_id}`, column: 'detail' }),
  });

const COLS = [
  'source',
  'external_id',
  'name',
  'amount',
  'owner_id',
  'owner_name',
  'segment',
  'stage',
  'created_at',
  'score',
  'category',
  'win_probability',
  'model_status',
  'model_id',
  'scored_at',
  'detail',
] as const;

/** Category rank for sorting (Critical highest); the score orders within one. */
const CATEGORY_RANK = sql<number>`case category when 'Critical' then 3 when 'High' then 2 when 'Medium' then 1 else 0 end`;

/**
 * A deal's amount in `currency`, in SQL so the database can sort and page on it, for the row `d`
 * of `deals` in scope and its `amount`: 1:1 for a deal in that currency or none, else the rate of
 * the deal's own CRM (whose corporate currency must be `currency`) in force on its close date,
 * else when it closed, else `asOf`; where periods overlap the one that started last wins; null
 * without such a rate. The same rules as `rateOn` and `currencyConverter` (src/core/currency),
 * checked against them in test/integration/server/deal-risk.test.ts.
 */
export function dealAmountIn(a: { currency: string; asOf: Date }, amount: RawBuilder<number | null>): RawBuilder<number | null> {
  const code = a.currency.trim().toUpperCase();
  const at = sql`coalesce((d.data->>'expectedCloseDate')::timestamptz, (d.data->>'closedAt')::timestamptz, ${a.asOf.toISOString()}::timestamptz)`;
  return sql<number | null>`case
      when coalesce(upper(trim(d.data->>'currency')), '') in ('', ${code}) then ${amount}
      else ${amount} * (
        select case when b.rate > 0 then b.rate end from (
          select (p->>'toCorporate')::float8 as rate
            from currency_rates cr cross join lateral jsonb_array_elements(cr.rates) p
           where cr.tenant_id = d.tenant_id and cr.source = d.source
             and upper(trim(cr.corporate)) = ${code}
             and upper(trim(p->>'code')) = upper(trim(d.data->>'currency'))
             and (p->>'from' is null or (p->>'from')::timestamptz <= ${at})
             and (p->>'until' is null or (p->>'until')::timestamptz > ${at})
           order by (p->>'from')::timestamptz desc nulls last
           limit 1) b)
    end`;
}

/** A `deal_risk` row's amount in `currency` (see dealAmountIn), read through its `deals` row. */
function convertedAmount(a: { currency: string; asOf: Date }) {
  return sql<number | null>`(select ${dealAmountIn(a, sql`deal_risk.amount`)} from deals d
   where d.tenant_id = deal_risk.tenant_id and d.source = deal_risk.source and d.external_id = deal_risk.external_id)`;
}

/** The current risk of each open deal (maintained by triggers on scores and deals; see 0003-web). */
export function dealRiskRepo(db: Db) {
  function filtered(tenantId: string, q: Omit<RiskQuery, 'limit' | 'offset' | 'sortBy' | 'order'>) {
    let query = db.selectFrom('deal_risk').where('tenant_id', '=', tenantId).where('is_open', '=', true);
    if (q.categories && q.categories.length > 0) query = query.where('category', 'in', q.categories);
    if (q.ownerId) query = query.where('owner_id', '=', q.ownerId);
    if (q.owner) {
      const o = q.owner;
      query = query.where((eb) => eb.or([eb('owner_id', '=', o), eb(eb.fn('lower', ['owner_name']), '=', o.toLowerCase())]));
    }
    if (q.segment) query = query.where(sql`lower(segment)`, '=', q.segment.toLowerCase());
    const amount = q.amountIn ? convertedAmount(q.amountIn) : sql<number | null>`amount`;
    if (q.minAmount !== undefined) query = query.where(amount, '>=', q.minAmount);
    if (q.maxAmount !== undefined) query = query.where(amount, '<=', q.maxAmount);
    if (q.createdBefore) query = query.where('created_at', '<=', q.createdBefore);
    if (q.createdAfter) query = query.where('created_at', '>=', q.createdAfter);
    return query;
  }

  /** Only categories, riskiest first: served by the deal_risk_page function (plans cached). */
  const isDefaultListing = (q: RiskQuery): boolean =>
    (q.sortBy ?? 'score') === 'score' &&
    (q.order ?? 'desc') === 'desc' &&
    !q.ownerId &&
    !q.owner &&
    !q.segment &&
    q.minAmount === undefined &&
    q.maxAmount === undefined &&
    !q.createdBefore &&
    !q.createdAfter;

  async function defaultPage(tenantId: string, q: RiskQuery): Promise<{ total: number; totalExact: boolean; rows: RiskRow[] }> {
    const categories = q.categories && q.categories.length > 0 ? q.categories : [...RISK_CATEGORIES];
    const r = await sql<
      Row & { total: number }
    >`select * from deal_risk_page(${tenantId}, ${categories}::text[], ${q.limit}, ${q.offset}, ${COUNT_CAP + 1})`.execute(db);
    const n = r.rows.length
      ? Number(r.rows[0]!.total)
      : Number(
          (
            await sql<{
              total: number;
            }>`select total from deal_risk_page(${tenantId}, ${categories}::text[], 1, 0, ${COUNT_CAP + 1})`.execute(db)
          ).rows[0]?.total ?? 0,
        );
    return { total: Math.min(n, COUNT_CAP), totalExact: n <= COUNT_CAP, rows: r.rows.map(toRow(tenantId)) };
  }

  return {
    /** One page, and how many match: exact up to COUNT_CAP, else COUNT_CAP with `totalExact` false. */
    async list(tenantId: string, q: RiskQuery): Promise<{ total: number; totalExact: boolean; rows: RiskRow[] }> {
      if (isDefaultListing(q)) return defaultPage(tenantId, q);
      const desc = (q.order ?? 'desc') === 'desc';
      const dir = desc ? 'desc' : 'asc';
      let query = filtered(tenantId, q).select(COLS);
      switch (q.sortBy ?? 'score') {
        case 'score':
          query = query.orderBy('score', dir);
          break;
        case 'amount':
          query = query.orderBy(sql`${q.amountIn ? convertedAmount(q.amountIn) : sql`amount`} ${sql.raw(dir)} nulls last`);
          break;
        // Oldest first when "age" descends: age grows as created_at falls.
        case 'age':
          query = query.orderBy(sql`created_at ${sql.raw(desc ? 'asc' : 'desc')} nulls last`);
          break;
        case 'owner':
          query = query.orderBy(sql`owner_name ${sql.raw(dir)} nulls last`);
          break;
        case 'segment':
          query = query.orderBy(sql`segment ${sql.raw(dir)} nulls last`);
          break;
        case 'category':
          query = query.orderBy(CATEGORY_RANK, dir).orderBy('score', dir);
          break;
        case 'name':
          query = query.orderBy(sql`name ${sql.raw(dir)} nulls last`);
          break;
      }
      query = query.orderBy('source').orderBy('external_id').limit(q.limit).offset(q.offset);
      // The capped count rides along as a scalar subquery: one round trip and one planning
      // instead of two (planning is most of a query's time here).
      const counted = () =>
        filtered(tenantId, q)
          .select(sql<number>`1`.as('one'))
          .limit(COUNT_CAP + 1)
          .as('m');
      const rows = await query
        .select((eb) =>
          eb
            .selectFrom(counted())
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('total'),
        )
        .execute();
      // A page past the end has no row to carry the count: ask for it alone.
      const n = rows.length
        ? Number(rows[0]!.total)
        : Number(
            (
              await db
                .selectFrom(counted())
                .select((e) => e.fn.countAll<number>().as('n'))
                .executeTakeFirst()
            )?.n ?? 0,
          );
      return { total: Math.min(n, COUNT_CAP), totalExact: n <= COUNT_CAP, rows: rows.map(toRow(tenantId)) };
    },

    async get(tenantId: string, source: string, externalId: string): Promise<RiskRow | null> {
      const r = await db
        .selectFrom('deal_risk')
        .select(COLS)
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .where('external_id', '=', externalId)
        .executeTakeFirst();
      return r ? toRow(tenantId)(r) : null;
    },

    /**
     * Open deals per category with their summed amounts (the risk distribution chart). With
     * `amountIn`, amounts are summed converted into that currency and a deal without a rate is
     * left out of the sum (it still counts as a deal).
     */
    async distribution(
      tenantId: string,
      amountIn?: { currency: string; asOf: Date },
    ): Promise<Array<{ category: RiskCategoryName; deals: number; amount: number }>> {
      const amount = amountIn ? convertedAmount(amountIn) : sql<number | null>`amount`;
      const rows = await db
        .selectFrom('deal_risk')
        .select(['category', sql<number>`count(*)::int`.as('n'), sql<number>`coalesce(sum(${amount}), 0)::float8`.as('amount')])
        .where('tenant_id', '=', tenantId)
        .where('is_open', '=', true)
        .groupBy('category')
        .execute();
      const by = new Map(rows.map((r) => [r.category, r]));
      return RISK_CATEGORIES.map((c) => ({ category: c, deals: Number(by.get(c)?.n ?? 0), amount: Number(by.get(c)?.amount ?? 0) }));
    },

    /** Distinct owners and segments of open scored deals (filter choices). */
    async facets(tenantId: string): Promise<{ owners: Array<{ id: string | null; name: string | null }>; segments: string[] }> {
      const [owners, segments] = await Promise.all([
        db
          .selectFrom('deal_risk')
          .select(['owner_id', 'owner_name'])
          .distinct()
          .where('tenant_id', '=', tenantId)
          .where('is_open', '=', true)
          .orderBy('owner_name')
          .limit(500)
          .execute(),
        db
          .selectFrom('deal_risk')
          .select('segment')
          .distinct()
          .where('tenant_id', '=', tenantId)
          .where('is_open', '=', true)
          .where('segment', 'is not', null)
          .orderBy('segment')
          .limit(500)
          .execute(),
      ]);
      return { owners: owners.map((o) => ({ id: o.owner_id, name: o.owner_name })), segments: segments.map((s) => s.segment!) };
    },
  };
}
export type DealRiskRepo = ReturnType<typeof dealRiskRepo>;
