import { z } from 'zod';
import type { Estimate } from '../../core/actions/intervals.ts';
import type { ActionOutcome, ShownFigure, WithheldFigure } from '../../core/actions/outcomes.ts';
import { parsePlaybook } from '../../core/actions/playbook.ts';
import { type ActionOutcomesReport, actionOutcomesReport } from '../../scoring/action-outcomes.ts';
import type { ServerContext } from '../context.ts';
import { type RouteDef, route } from './registry.ts';

const int = z.number().int();
const num = z.number().nullable();
const when = z.string().meta({ format: 'date-time' });

/** How each figure is computed: in the answer, so a reader of the numbers has the method with them. */
export const OUTCOME_METHODS = {
  groups:
    'Acted on: the task was completed within actWithinDays of the recommendation. Not acted on: it was not (still open, completed later, or deleted). Deals that closed within that window are left out of both groups.',
  matching:
    'Exact matching on the risk band and segment (company size, else deal type) at the recommendation; the not-acted group is reweighted to the acted group’s mix of strata; strata only one group has are left out and counted as unmatched.',
  riskChange:
    'Risk score points from the recommendation to the latest score followDays later, mean per group; 95% normal intervals from the standard errors (stratified for the reweighted group).',
  lossRate:
    'Share of the closed deals that were lost; 95% Wilson intervals (the reweighted group at its Kish effective size); the difference with Newcombe’s hybrid score interval.',
  minimum: 'A comparison is shown only when each group has at least minDeals matched deals.',
} as const;

const Interval = z.object({ estimate: num, low: num, high: num }).meta({ id: 'Interval95', description: 'Estimate with its 95% interval' });
const Rate = z
  .object({ estimate: num, low: num, high: num, n: z.number(), count: z.number() })
  .meta({ id: 'RateInterval95', description: 'A share with its 95% Wilson interval; n may be an effective size (reweighted group)' });
const Mean = z
  .object({ estimate: num, low: num, high: num, n: int, se: num })
  .meta({ id: 'MeanInterval95', description: 'A mean with its 95% normal interval' });

const figure = <T extends z.ZodType>(inner: T, id: string, description: string) =>
  z
    .object({
      shown: z.boolean(),
      reason: z.string().nullable().meta({ description: 'Why it is withheld (too few matched deals)' }),
      counts: z.object({ acted: int, notActed: int }).meta({ description: 'Matched deals in each group' }),
      acted: inner.nullable(),
      notActed: inner.nullable(),
      difference: Interval.nullable().meta({ description: 'Acted minus not acted' }),
      strata: int.nullable(),
      unmatched: z.object({ acted: int, notActed: int }).nullable(),
    })
    .meta({ id, description });

const Outcome = z
  .object({
    key: z.string().meta({ description: 'The action id, or the rule id when by=rule' }),
    action: z.string(),
    title: z.string().nullable().meta({ description: "The playbook's title for the action (null when no rule names it any more)" }),
    rules: z.array(z.string()),
    recommended: int.meta({ description: 'Deals the action was recommended to (one CRM task each)' }),
    completed: int,
    dismissed: int.meta({ description: 'Tasks deleted in the CRM without being completed' }),
    speed: z.object({
      eligible: int.meta({ description: 'Recommendations whose acting window has ended, on deals still open then' }),
      doneWithin: Rate,
      medianDays: num,
      p75Days: num,
    }),
    excluded: z.object({ windowOpen: int, closedInWindow: int }),
    riskChange: figure(Mean, 'RiskChangeComparison', 'Risk score change (points) over followDays from the recommendation'),
    lossRate: figure(Rate, 'LossRateComparison', 'Share of the closed deals that were lost').extend({
      stillOpen: z.object({ acted: int, notActed: int }),
    }),
  })
  .meta({ id: 'ActionOutcome' });

/** A whole number of days in a query; an empty value (a form's "any") is no value. */
const days = (min: number, max: number, description: string) =>
  z
    .preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(min).max(max).optional())
    .meta({ description, type: 'integer', minimum: min, maximum: max });

export const ActionOutcomesQuery = z
  .object({
    by: z.enum(['action', 'rule']).default('action'),
    act_within_days: days(1, 60, 'Acting window (default 7)'),
    follow_days: days(1, 180, 'Risk change horizon (default 14)'),
    min_deals: days(5, 100_000, 'Matched deals each group needs (default 30)'),
    since_days: days(1, 3650, 'Only recommendations of the last N days'),
  })
  .strict();

export const ActionOutcomesResponse = z
  .object({
    asOf: when,
    by: z.enum(['action', 'rule']),
    actWithinDays: int,
    followDays: int,
    minDeals: int,
    since: when.nullable(),
    caveat: z.string(),
    methods: z.record(z.string(), z.string()),
    tasks: z.object({ followed: int, completed: int, dismissed: int, open: int }),
    outcomes: z.array(Outcome),
  })
  .meta({ id: 'ActionOutcomes' });

const finite = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);
const interval = (e: Estimate) => ({ estimate: finite(e.estimate), low: finite(e.low), high: finite(e.high) });

function figureView<E extends Estimate>(f: ShownFigure<E> | WithheldFigure, inner: (e: E) => Record<string, unknown>) {
  if (!f.shown) {
    return {
      shown: false,
      reason: f.reason,
      counts: { acted: f.acted, notActed: f.notActed },
      acted: null,
      notActed: null,
      difference: null,
      strata: null,
      unmatched: null,
    };
  }
  return {
    shown: true,
    reason: null,
    counts: f.deals,
    acted: inner(f.acted),
    notActed: inner(f.notActed),
    difference: interval(f.difference),
    strata: f.strata,
    unmatched: f.unmatched,
  };
}

/** The report as the API answers it (no NaN or Infinity: null instead). */
export function outcomesView(r: ActionOutcomesReport, titles: ReadonlyMap<string, string>) {
  return {
    asOf: r.asOf.toISOString(),
    by: r.by,
    actWithinDays: r.actWithinDays,
    followDays: r.followDays,
    minDeals: r.minDeals,
    since: r.since?.toISOString() ?? null,
    caveat: r.caveat,
    methods: OUTCOME_METHODS,
    tasks: r.tasks,
    outcomes: r.outcomes.map((o: ActionOutcome) => ({
      key: o.key,
      action: o.action,
      title: titles.get(o.action) ?? null,
      rules: o.rules,
      recommended: o.recommended,
      completed: o.completed,
      dismissed: o.dismissed,
      speed: {
        eligible: o.speed.eligible,
        doneWithin: { ...interval(o.speed.doneWithin), n: o.speed.doneWithin.n, count: o.speed.doneWithin.count },
        medianDays: finite(o.speed.medianDays),
        p75Days: finite(o.speed.p75Days),
      },
      excluded: o.excluded,
      riskChange: figureView(o.riskChange, (m) => ({ ...interval(m), n: m.n, se: finite(m.se) })),
      lossRate: {
        ...figureView(o.lossRate, (x) => ({ ...interval(x), n: x.n, count: x.count })),
        stillOpen: o.lossRate.stillOpen,
      },
    })),
  };
}

/** Each action's title in the tenant's playbook (the first rule recommending it). */
export async function actionTitles(s: ServerContext, tenantId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  try {
    const p = parsePlaybook((await s.deps.scoring.playbook.get(tenantId)).playbook);
    for (const r of p.rules) if (!out.has(r.action)) out.set(r.action, r.title);
  } catch {
    // No playbook to read (the scoring service is down, or the stored one no longer parses): ids only.
  }
  return out;
}

export function actionRoutes(s: ServerContext): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/v1/actions/outcomes',
      tag: 'Actions',
      summary: 'For each playbook action: how many deals got it, how many had it done and how fast, and what followed',
      description:
        'Deals whose task was done within the acting window against comparable deals (same risk band and segment at the recommendation) whose task was not: the risk change over follow_days and the loss rate of the closed deals, with counts and 95% intervals. An observed association, not proof of cause (see caveat and methods). A comparison is withheld until each group has min_deals matched deals.',
      access: 'read',
      query: ActionOutcomesQuery,
      response: ActionOutcomesResponse,
      async handler({ principal, query }) {
        const [report, titles] = await Promise.all([
          actionOutcomesReport(s.app.store, principal.tenantId, s.app.now(), {
            by: query.by,
            ...(query.act_within_days !== undefined ? { actWithinDays: query.act_within_days } : {}),
            ...(query.follow_days !== undefined ? { followDays: query.follow_days } : {}),
            ...(query.min_deals !== undefined ? { minDeals: query.min_deals } : {}),
            ...(query.since_days !== undefined ? { sinceDays: query.since_days } : {}),
          }),
          actionTitles(s, principal.tenantId),
        ]);
        return outcomesView(report, titles);
      },
    }),
  ];
}
