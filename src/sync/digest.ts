import type { AppContext } from '../context.ts';
import type { SyncConfig } from './config.ts';
import { type DigestActions, digestActions } from './digest-actions.ts';
import { type DigestForecast, type DigestMoney, digestForecast, digestMoney } from './digest-forecast.ts';

export interface DigestDeal extends DigestMoney {
  source: string;
  externalId: string;
  name: string | null;
  ownerId: string | null;
  ownerName: string | null;
  amount: number | null;
  score: number;
  category: string;
  modelStatus: string;
  drivers: string[];
  firstAction: string | null;
  url: string | null;
}

/** The top High and Critical deals of a tenant (or of one owner), most at risk first. */
export interface Digest {
  tenantId: string;
  generatedAt: string;
  ownerId: string | null;
  minScore: number;
  /** The currency of `converted` amounts: the CRM's corporate currency. */
  currency: string | null;
  deals: DigestDeal[];
  /** The managers' summary only: this quarter's calls against the model (null: forecast category not mapped). */
  forecast?: DigestForecast | null;
  /** The managers' summary only: each rep's follow-through on the playbook's tasks (null: no task in 30 days). */
  actions?: DigestActions | null;
}

/**
 * Digest content: the REST API (`GET /v1/digest`) shows the same thing the daily messages send.
 * Without `ownerId` it is the tenant summary for admins (owners named on each deal).
 */
export async function buildDigest(
  ctx: AppContext,
  tenantId: string,
  opts: { ownerId?: string | null; top?: number; minScore?: number; config?: SyncConfig } = {},
): Promise<Digest> {
  const cfg = opts.config?.digest;
  const top = opts.top ?? cfg?.top ?? 10;
  const minScore = opts.minScore ?? cfg?.minScore ?? 51;
  const rows = await ctx.store.atRisk.topRisks(tenantId, {
    minScore,
    limit: top,
    ...(opts.ownerId !== undefined ? { ownerId: opts.ownerId } : {}),
  });
  const fx = await digestMoney(ctx.store, tenantId, ctx.now());
  return {
    tenantId,
    generatedAt: ctx.now().toISOString(),
    ownerId: opts.ownerId ?? null,
    minScore,
    currency: fx.reporting,
    ...(opts.ownerId === undefined
      ? { forecast: await digestForecast(ctx.store, tenantId, ctx.now()), actions: await digestActions(ctx.store, tenantId, ctx.now()) }
      : {}),
    deals: rows.map((r) => {
      const s = r.risk.summary;
      return {
        source: r.source,
        externalId: r.externalId,
        name: r.deal.name,
        ownerId: r.deal.owner.id,
        ownerName: r.deal.owner.name,
        amount: r.deal.amount,
        ...fx.money(r.deal),
        score: r.score,
        category: r.category,
        modelStatus: r.modelStatus,
        drivers: s.drivers,
        firstAction: s.firstAction,
        url: s.url ?? null,
      };
    }),
  };
}
