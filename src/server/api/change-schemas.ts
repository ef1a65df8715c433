import { z } from 'zod';

const when = z.string().meta({ format: 'date-time' });

/** One line of a deal's risk change (src/core/scoring/risk-change.ts, ChangePart). */
const ChangePart = z.object({
  feature: z
    .string()
    .meta({ description: 'The feature (`days_to_close`, `stage`, `extras.x`...), `model` for a retrain or recalibration' }),
  kind: z.enum(['deal', 'model']),
  points: z.number().int().meta({ description: 'Risk points, rounded (largest remainder) so that the parts add up to `change`' }),
  exact: z.number().meta({ description: 'The unrounded share of the change in risk points' }),
  text: z.string().meta({ description: 'The change in words: "close date pushed 21 days"' }),
});

/** Why a deal's risk changed between two scorings (the risk change ledger). */
export const RiskChangeView = z
  .object({
    from: z.object({ riskScore: z.number().int(), scoredAt: when }),
    to: z.object({ riskScore: z.number().int(), scoredAt: when }),
    change: z.number().int().meta({ description: 'to.riskScore − from.riskScore; the parts add up to it' }),
    explained: z.boolean().meta({ description: 'False when the earlier scoring predates the ledger: the change is not split' }),
    parts: z.array(ChangePart),
    sentence: z.string().meta({ description: '"Risk 34 → 61 since 26 Nov: close date pushed 21 days (+15), ..."' }),
  })
  .meta({ id: 'RiskChange' });
