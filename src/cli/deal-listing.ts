import { sql } from 'kysely';
import type { Deal, StageStatus } from '../core/deal.ts';
import { dealFromJson } from '../store/deal-json.ts';
import type { Db } from '../store/index.ts';
import { dealAmountIn } from '../store/repos/deal-risk.ts';
import type { DEAL_SORTS } from './program.ts';

export type DealSort = (typeof DEAL_SORTS)[number];
export type SortOrder = 'asc' | 'desc';

/** Riskiest and largest first; soonest close, names and ids from A. */
export const DEFAULT_ORDER: Record<DealSort, SortOrder> = { risk: 'desc', amount: 'desc', close: 'asc', name: 'asc', id: 'asc' };

export interface DealListQuery {
  status?: StageStatus;
  sort: DealSort;
  order: SortOrder;
  limit: number;
  /** Sort by the amount converted into this currency at the stored rates (deals without a rate last). */
  amountIn?: { currency: string; asOf: Date };
}

/** A deal with its current score (deal_risk: the latest score of each scored deal), if any. */
export interface ListedDeal {
  deal: Deal;
  risk: {
    score: number;
    category: string;
    winProbability: number;
    modelStatus: string;
    scoredAt: Date;
    detail: Record<string, unknown>;
  } | null;
}

// Ids sort as people read them: T2 before T10.
const naturally = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/**
 * One page of a tenant's deals in the order asked for. Risk puts open deals first (a closed
 * deal's score is the one it had while open), and deals without a score after those with one.
 * Ties, and `id`, follow the deal id in natural order.
 */
export async function listDeals(db: Db, tenantId: string, q: DealListQuery): Promise<ListedDeal[]> {
  const base = () => {
    let query = db
      .selectFrom('deals as d')
      .leftJoin('deal_risk as r', (j) =>
        j.onRef('r.tenant_id', '=', 'd.tenant_id').onRef('r.source', '=', 'd.source').onRef('r.external_id', '=', 'd.external_id'),
      )
      .where('d.tenant_id', '=', tenantId)
      .where('d.deleted_at', 'is', null);
    if (q.status) query = query.where('d.status', '=', q.status);
    return query;
  };
  const cols = [
    'd.source',
    'd.external_id',
    'd.data',
    'r.score',
    'r.category',
    'r.win_probability',
    'r.model_status',
    'r.scored_at',
    'r.detail',
  ] as const;

  if (q.sort === 'id') {
    // Natural order is not a SQL collation: sort the ids here, then read the page's rows.
    const ids = await base().select(['d.source', 'd.external_id']).execute();
    ids.sort((a, b) => naturally.compare(a.external_id, b.external_id) || a.source.localeCompare(b.source));
    if (q.order === 'desc') ids.reverse();
    const page = ids.slice(0, q.limit);
    if (page.length === 0) return [];
    const rows = await base()
      .select(cols)
      .where(
        'd.external_id',
        'in',
        page.map((p) => p.external_id),
      )
      .execute();
    const at = new Map(page.map((p, i) => [`${p.source}\u0000${p.external_id}`, i]));
    return rows
      .filter((r) => at.has(`${r.source}\u0000${r.external_id}`))
      .sort((a, b) => at.get(`${a.source}\u0000${a.external_id}`)! - at.get(`${b.source}\u0000${b.external_id}`)!)
      .map(toListed);
  }

  const dir = sql.raw(q.order);
  const key = {
    risk: sql`(d.status = 'open') desc, r.score ${dir} nulls last`,
    amount: sql`${q.amountIn ? dealAmountIn(q.amountIn, sql`d.amount`) : sql`d.amount`} ${dir} nulls last`,
    close: sql`coalesce(d.closed_at, (d.data->>'expectedCloseDate')::timestamptz) ${dir} nulls last`,
    name: sql`lower(d.data->>'name') ${dir} nulls last`,
  }[q.sort];
  const rows = await base().select(cols).orderBy(key).orderBy('d.external_id').orderBy('d.source').limit(q.limit).execute();
  return rows.map(toListed);
}

type Row = {
  data: Record<string, unknown>;
  score: number | null;
  category: string | null;
  win_probability: number | null;
  model_status: string | null;
  scored_at: Date | null;
  detail: Record<string, unknown> | null;
};

function toListed(r: Row): ListedDeal {
  return {
    deal: dealFromJson(r.data),
    risk:
      r.score === null
        ? null
        : {
            score: r.score,
            category: r.category!,
            winProbability: r.win_probability!,
            modelStatus: r.model_status!,
            scoredAt: r.scored_at!,
            detail: r.detail ?? {},
          },
  };
}
