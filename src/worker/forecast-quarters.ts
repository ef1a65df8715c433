import type { AppContext } from '../context.ts';
import type { QuarterTrackRecord } from '../core/forecast/track-record.ts';
import { recordClosedQuarter } from '../scoring/forecast.ts';

/** The next UTC midnight after `now`: a tenant's closed quarter is looked at once a UTC day. */
const nextUtcDay = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));

/**
 * Records a tenant's closed quarter (src/scoring/forecast.ts) and sets its next look to the next
 * UTC day. Writing is idempotent (first record wins), so several workers may race for it harmlessly.
 */
export async function recordQuarter(ctx: AppContext, tenantId: string): Promise<QuarterTrackRecord | null> {
  await ctx.store.tenantSync.setDue(tenantId, 'quarter', nextUtcDay(ctx.now()));
  const rec = await recordClosedQuarter(ctx.store, tenantId, ctx.now());
  if (rec) ctx.logger.info('forecast quarter recorded', { tenantId, quarter: rec.quarter, deals: rec.deals });
  return rec;
}

/**
 * Each tenant whose daily look is due (tenant_sync.quarter_due_at): one indexed query per poll,
 * however many tenants there are. One tenant's failure is logged and retried the next day.
 */
export async function recordDueQuarters(ctx: AppContext): Promise<QuarterTrackRecord[]> {
  const out: QuarterTrackRecord[] = [];
  for (const tenantId of await ctx.store.tenantSync.due('quarter', ctx.now())) {
    try {
      const rec = await recordQuarter(ctx, tenantId);
      if (rec) out.push(rec);
    } catch (e) {
      ctx.logger.error('forecast quarter failed', { module: 'worker', tenantId, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return out;
}

/**
 * Asks for one tenant's closed quarter at most once a UTC day per process (the CLI and tests; the
 * worker uses recordDueQuarters, which keeps that day in the database for every worker).
 */
export function quarterRecorder(ctx: AppContext): (tenantId: string) => Promise<QuarterTrackRecord | null> {
  const lookedOn = new Map<string, string>();
  return async (tenantId) => {
    const today = ctx.now().toISOString().slice(0, 10);
    if (lookedOn.get(tenantId) === today) return null;
    lookedOn.set(tenantId, today);
    return recordQuarter(ctx, tenantId);
  };
}
