import { z } from 'zod';
import { type UnconvertedDeal, unconvertedByCurrency } from '../../core/currency/convert.ts';

/** Deals left out of converted totals (issue 16): listed in their own currency, never summed in. */
export const UnconvertedDeals = z
  .object({
    deals: z.number().int(),
    byCurrency: z.array(z.object({ currency: z.string(), deals: z.number().int(), amount: z.number() })).meta({
      description: 'Their amounts per currency, in that currency',
    }),
    list: z.array(
      z.object({
        externalId: z.string(),
        name: z.string().nullable(),
        ownerName: z.string().nullable(),
        amount: z.number(),
        currency: z.string(),
        rateDate: z.string().meta({ description: 'The close date whose rate was looked for (yyyy-mm-dd)' }),
        reason: z.string(),
      }),
    ),
  })
  .meta({
    id: 'UnconvertedDeals',
    description:
      'Deals whose amount could not be converted to the reporting currency (no rate in force on their close date): counted, never added in',
  });
export type UnconvertedDealsView = z.infer<typeof UnconvertedDeals>;

export const unconvertedView = (list: readonly UnconvertedDeal[]): UnconvertedDealsView => ({
  deals: list.length,
  byCurrency: unconvertedByCurrency(list),
  list: list.map((u) => ({ ...u })),
});

const Money = z.object({ deals: z.number().int(), amount: z.number(), riskAdjusted: z.number() });

/** The managers' digest: this quarter's forecast against the model (src/sync/digest-forecast.ts). */
export const DigestForecastView = z
  .object({
    quarter: z.string(),
    currency: z.string().nullable(),
    commit: Money,
    bestCase: Money,
    reps: z.array(
      z.object({
        ownerId: z.string().nullable(),
        ownerName: z.string().nullable(),
        commitAmount: z.number(),
        commitRiskAdjusted: z.number(),
        commitAtRisk: z.number().int(),
        bestCaseAtRisk: z.number().int(),
        pipelineLow: z.number().int(),
      }),
    ),
    commitAtRisk: z.array(
      z.object({
        externalId: z.string(),
        name: z.string().nullable(),
        ownerName: z.string().nullable(),
        amount: z.number().nullable(),
        currency: z.string().nullable(),
        converted: z.number().nullable(),
        category: z.string(),
        winProbability: z.number(),
      }),
    ),
  })
  .meta({ id: 'DigestForecast' });
