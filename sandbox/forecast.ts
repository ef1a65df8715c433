import type { DealPlan } from './generate.ts';

/** A rep's call on an open deal. */
export type RepCall = 'pipeline' | 'best_case' | 'commit';

/**
 * The forecast category a rep gives an open deal (opt-in, both CRMs): mostly how far the deal has
 * come, plus the rep's temperament (every fourth rep is an optimist) and a per-deal hunch. It
 * reads only the stage and fixed facts of the deal, so it changes when the stage does, with the
 * record's modification stamp, never silently. Like the stage it never sees the outcome: what the
 * call adds over the model is the rep's judgement, which is noise here.
 */
export function repCall(stage: number, openStages: number, plan: DealPlan): RepCall {
  const progress = openStages > 1 ? stage / (openStages - 1) : 0;
  const optimist = plan.owner % 4 === 0 ? 0.35 : 0;
  const hunch = ((Math.imul(plan.n + 1, 2_654_435_761) >>> 0) % 1000) / 1000 - 0.5;
  const confidence = progress + optimist + hunch * 0.4;
  return confidence >= 0.65 ? 'commit' : confidence >= 0.3 ? 'best_case' : 'pipeline';
}
