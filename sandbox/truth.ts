import type { World } from './generate.ts';
import type { DealDrivers } from './model.ts';
import { rocAuc, winProbability } from './model.ts';
import { viewAt } from './view.ts';

/** What the generator knows about one deal (hidden from the CRMs): its model score and outcome. */
export interface TruthRow {
  /** The deal's position in its CRM's world (its id is derived from it). */
  n: number;
  /** P(win | observable drivers), noise integrated out. */
  pWin: number;
  logit: number;
  /** The outcome, visible in the CRM only once `closed`. */
  won: boolean;
  closed: boolean;
  deleted: boolean;
  drivers: DealDrivers;
}

export function truthRows(world: World, now: number): TruthRow[] {
  const out: TruthRow[] = [];
  for (const plan of world.deals) {
    if (plan.createdAt > now) break;
    const v = viewAt(world, plan, now);
    out.push({
      n: plan.n,
      pWin: winProbability(plan.logit),
      logit: plan.logit,
      won: plan.won,
      closed: v.isClosed,
      deleted: v.deleted,
      drivers: plan.drivers,
    });
  }
  return out;
}

/**
 * The generating model's own ROC-AUC (positive class = lost) on the deals closed by `now`:
 * the ceiling any scorer can reach on this data, since every observable field derives from the
 * same drivers plus noise that carries no outcome information.
 */
export function ceilingAuc(world: World, now: number): { auc: number | null; closed: number; lost: number } {
  const scores: number[] = [];
  const lost: boolean[] = [];
  for (const t of truthRows(world, now)) {
    if (!t.closed || t.deleted) continue;
    scores.push(-t.logit);
    lost.push(!t.won);
  }
  return { auc: rocAuc(scores, lost), closed: scores.length, lost: lost.filter(Boolean).length };
}
