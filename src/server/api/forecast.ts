import { z } from 'zod';
import { OPEN_CALLS } from '../../core/forecast/calls.ts';
import type { QuarterForecast, RepForecast } from '../../core/forecast/reconcile.ts';
import { forecastReport } from '../../scoring/forecast.ts';
import type { ServerContext } from '../context.ts';
import { UnconvertedDeals, unconvertedView } from './money-schemas.ts';
import { type RouteDef, route } from './registry.ts';
import { RiskCategory } from './schemas.ts';

const when = z.string().meta({ format: 'date-time' });
const int = z.number().int();
const Call = z.enum(OPEN_CALLS);

const Figures = z
  .object({
    deals: int,
    amount: z.number().meta({ description: 'Σ amount, in the reporting currency' }),
    riskAdjusted: z.number().meta({ description: "Σ amount × the model's P(win), over the scored deals" }),
    scoredAmount: z.number().meta({ description: 'Σ amount of the scored deals (what riskAdjusted is a share of)' }),
    unscored: int,
  })
  .meta({ id: 'ForecastCallFigures' });
const Flagged = z
  .object({
    externalId: z.string(),
    name: z.string().nullable(),
    ownerId: z.string().nullable(),
    ownerName: z.string().nullable(),
    call: Call,
    category: RiskCategory,
    score: z.number().nullable(),
    winProbability: z.number(),
    amount: z.number().nullable().meta({ description: "The deal's own amount, in its own currency" }),
    currency: z.string().nullable(),
    converted: z.number().nullable().meta({ description: 'The amount in the reporting currency (null: no rate)' }),
    closeDate: z.string().nullable(),
  })
  .meta({ id: 'ForecastFlaggedDeal' });
const Rep = z
  .object({
    ownerId: z.string().nullable(),
    ownerName: z.string().nullable(),
    calls: z.object({ commit: Figures, best_case: Figures, pipeline: Figures, omitted: Figures }),
    flagged: z
      .object({ commitAtRisk: z.array(Flagged), bestCaseAtRisk: z.array(Flagged), pipelineLow: z.array(Flagged) })
      .meta({ description: 'Commit and Best Case deals the model rates High or Critical; Pipeline deals it rates Low' }),
    overdue: int.meta({ description: 'Called deals whose close date has passed (shown in the current quarter)' }),
  })
  .meta({ id: 'RepForecast' });
const Quarter = z.object({ quarter: z.string(), start: when, end: when, current: z.boolean(), total: Rep, reps: z.array(Rep) });
const Outcomes = z
  .object({ deals: int, won: int, lost: int, slipped: int, amount: z.number(), wonAmount: z.number() })
  .meta({ id: 'ForecastOutcomes' });
const RepTrack = z
  .object({
    ownerId: z.string().nullable(),
    ownerName: z.string().nullable(),
    rep: z.object({ commit: Outcomes, best_case: Outcomes, pipeline: Outcomes, omitted: Outcomes }),
    model: z.object({ high: Outcomes, medium: Outcomes, low: Outcomes, unscored: Outcomes }),
    disagreements: z.object({ commitRatedHigh: Outcomes, bestCaseRatedHigh: Outcomes, pipelineRatedLow: Outcomes }),
  })
  .meta({ id: 'RepTrackRecord' });
const QuarterTrack = z
  .object({
    quarter: z.string(),
    start: when,
    end: when,
    recordedAt: when,
    currency: z.string().nullable(),
    deals: int,
    unconverted: int.optional(),
    total: RepTrack,
    reps: z.array(RepTrack),
  })
  .meta({ id: 'QuarterTrackRecord' });

export const ForecastQuery = z
  .object({
    quarters: z.coerce.number().int().min(1).max(4).optional().meta({ description: 'Quarters from the current one (default 2)' }),
    owner: z.string().max(200).optional().meta({ description: "One rep's deals: CRM owner id or name" }),
  })
  .strict();

export const ForecastReconciliationResponse = z
  .object({
    asOf: when,
    currency: z.string().nullable().meta({ description: 'ISO code of every amount: the CRM corporate currency' }),
    fiscalYearStartMonth: int,
    mapped: z.boolean().meta({ description: 'False when no open deal carries a forecast category (the field is not mapped or not used)' }),
    quarters: z.array(Quarter),
    unconverted: UnconvertedDeals,
    outside: int.meta({ description: 'Called open deals closing after the quarters shown, or with no close date' }),
    unrecognised: z.array(z.object({ value: z.string(), deals: int })).meta({ description: 'CRM values that are not a known call' }),
    trackRecord: z
      .array(QuarterTrack)
      .meta({ description: "Closed quarters, newest first: what became of the reps' and the model's calls" }),
  })
  .meta({ id: 'ForecastReconciliation' });

const repView = (r: RepForecast) => r;
const quarterView = (q: QuarterForecast) => ({ ...q, start: q.start.toISOString(), end: q.end.toISOString(), total: repView(q.total) });

export function forecastRoutes(s: ServerContext): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/v1/forecast/reconciliation',
      tag: 'Pipeline',
      summary: "The reps' forecast calls against the model, per rep and quarter, and the closed quarters' track record",
      description:
        'Needs the CRM forecast category mapped (forecastCategory). Amounts are in the corporate currency; deals without a rate for their close date are listed under unconverted.',
      access: 'read',
      query: ForecastQuery,
      response: ForecastReconciliationResponse,
      async handler({ principal, query }) {
        const r = await forecastReport(s.app.store, principal.tenantId, s.app.now(), {
          ...(query.quarters ? { quarters: query.quarters } : {}),
          ...(query.owner ? { owner: query.owner } : {}),
        });
        const x = r.reconciliation;
        return {
          asOf: x.asOf.toISOString(),
          currency: x.currency,
          fiscalYearStartMonth: r.fiscalYearStartMonth,
          mapped: x.mapped,
          quarters: x.quarters.map(quarterView),
          unconverted: unconvertedView(x.unconverted),
          outside: x.outside,
          unrecognised: x.unrecognised,
          trackRecord: r.trackRecord,
        };
      },
    }),
  ];
}
