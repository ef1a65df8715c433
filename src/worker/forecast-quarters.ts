import type { AppContext } from '../context.ts';
import type { QuarterTrackRecord } from '../core/forecast/track-record.ts';
import { recordClosedQuarter } from '../scoring/forecast.ts';

/**
 * Records each tenant's closed quarter (src/scoring/forecast.ts): asked on every poll, it looks
 * at most once a UTC day per tenant and process, so the poll stays cheap. Writing is idempotent
 * (first record wins), so several workers may race for it harmlessly.
 */
export function quarterRecorder(ctx: AppContext): (tenantId: string) => Promise<QuarterTrackRecord | null> {
  const lookedOn = new Map<string, string>();
  return async (tenantId) => {
    const today = ctx.now().toISOString().slice(0, 10);
    if (lookedOn.get(tenantId) === today) return null;
    lookedOn.set(tenantId, today);
    const rec = await recordClosedQuarter(ctx.store, tenantId, ctx.now());
    if (rec) ctx.logger.info('forecast quarter recorded', { tenantId, quarter: rec.quarter, deals: rec.deals });
    return rec;
  };
}
