import { z } from 'zod';
import { Playbook } from '../../core/actions/playbook.ts';
import { DealType, Source, StageStatus } from '../../core/deal.ts';
import { RiskChangeView } from './change-schemas.ts';
import { DigestForecastView, UnconvertedDeals } from './money-schemas.ts';

/**
 * The REST API's shapes. Requests are validated with these schemas and the OpenAPI document is
 * generated from the very same objects, so the two cannot drift. Responses describe JSON as sent
 * (dates are ISO strings).
 */

const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date());
const dateIn = isoDate.transform((s) => new Date(s));
const when = z.string().meta({ format: 'date-time' });

export const ErrorBody = z
  .object({
    error: z.string().meta({ description: 'Machine-readable code, e.g. input_invalid, not_found, rate_limited' }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'Error' });

export const RiskCategory = z.enum(['Low', 'Medium', 'High', 'Critical']).meta({ id: 'RiskCategory' });
export const ModelStatusName = z
  .enum(['ok', 'experimental', 'no_signal', 'low_confidence', 'prior_only', 'untested', 'none'])
  .meta({ id: 'ModelStatus', description: 'none = no model trained yet' });

export const Driver = z
  .object({
    feature: z.string(),
    label: z.string(),
    contribution: z.number().meta({ description: 'Additive share of the loss log-odds vs the average deal' }),
    direction: z.enum(['raises_risk', 'lowers_risk']),
    sentence: z.string(),
  })
  .meta({ id: 'Driver' });

export const Action = z
  .object({
    action: z.string(),
    title: z.string(),
    priority: z.enum(['immediate', 'this_week', 'ongoing']),
    rationale: z.string(),
  })
  .meta({ id: 'Action' });

export const DealScore = z
  .object({
    riskScore: z.number().int().min(0).max(100),
    category: RiskCategory,
    winProbability: z.number().min(0).max(1),
    lossProbability: z.number().min(0).max(1),
    confidence: z.enum(['high', 'medium', 'low']),
    modelVersion: z.number().int().nullable(),
    modelStatus: ModelStatusName,
    scoredAt: when,
    drivers: z.array(Driver),
    actions: z.array(Action),
    similarWon: z.array(z.object({ externalId: z.string(), name: z.string().nullable(), amount: z.number().nullable() })),
    note: z.string().nullable(),
  })
  .meta({ id: 'DealScore' });

/** A deal as a caller sends it to be scored: the canonical model with ISO dates; tenant from the key. */
export const DealBody = z
  .object({
    externalId: z.string().min(1).max(200).default('adhoc'),
    source: Source.default('csv'),
    name: z.string().max(500).nullable().optional(),
    amount: z.number().finite().nullable().optional(),
    currency: z.string().max(10).nullable().optional(),
    stage: z
      .object({
        label: z.string().max(200).nullable().optional(),
        status: StageStatus.default('open'),
        order: z.number().nullable().optional(),
      })
      .default({ status: 'open' }),
    pipeline: z.string().max(200).nullable().optional(),
    createdAt: dateIn.nullable().optional(),
    expectedCloseDate: dateIn.nullable().optional(),
    owner: z.object({ id: z.string().nullable().optional(), name: z.string().nullable().optional() }).optional(),
    account: z
      .object({
        id: z.string().nullable().optional(),
        name: z.string().nullable().optional(),
        industry: z.string().nullable().optional(),
        region: z.string().nullable().optional(),
        country: z.string().nullable().optional(),
        size: z.string().nullable().optional(),
      })
      .optional(),
    product: z.string().nullable().optional(),
    leadSource: z.string().nullable().optional(),
    dealType: DealType.nullable().optional(),
    forecastCategory: z.string().nullable().optional(),
    crmProbability: z.number().min(0).max(1).nullable().optional(),
    lastActivityAt: dateIn.nullable().optional(),
    activityCount: z.number().nullable().optional(),
    contactsCount: z.number().nullable().optional(),
    stageEnteredAt: dateIn.nullable().optional(),
    closeDatePushes: z.number().nullable().optional(),
    nextStep: z.string().max(2000).nullable().optional(),
    extras: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  })
  .strict()
  .meta({ id: 'DealInput' });

export const ScoreRequest = z.object({ deal: DealBody }).strict().meta({ id: 'ScoreRequest' });
export const ScoreResponse = z.object({ score: DealScore }).meta({ id: 'ScoreResponse' });

export const SortBy = z.enum(['score', 'amount', 'age', 'owner', 'segment', 'category', 'name']);
const categoryList = z
  .string()
  .transform((s, ctx) => {
    const parts = s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const names = RiskCategory.options as readonly string[];
    const norm = parts.map((p) => names.find((n) => n.toLowerCase() === p.toLowerCase()));
    if (norm.some((n) => n === undefined)) {
      ctx.addIssue({ code: 'custom', message: `expected a comma-separated list of ${names.join(', ')}` });
      return z.NEVER;
    }
    return norm as Array<z.infer<typeof RiskCategory>>;
  })
  .meta({ description: 'Comma-separated categories; default High,Critical' });

export const HighRiskQuery = z
  .object({
    risk_category: categoryList.optional(),
    owner: z.string().max(200).optional().meta({ description: 'Owner id or name' }),
    segment: z.string().max(200).optional(),
    min_amount: z.coerce.number().optional(),
    max_amount: z.coerce.number().optional(),
    // A century either way: beyond it a date cannot be represented (Invalid time value).
    min_age_days: z.coerce.number().int().min(0).max(36_500).optional(),
    max_age_days: z.coerce.number().int().min(0).max(36_500).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    sort_by: SortBy.default('score'),
    order: z.enum(['asc', 'desc']).default('desc'),
  })
  .strict();

export const RiskDeal = z
  .object({
    id: z.string().meta({ description: '<source>:<externalId>' }),
    source: z.string(),
    externalId: z.string(),
    name: z.string().nullable(),
    amount: z.number().nullable(),
    owner: z.object({ id: z.string().nullable(), name: z.string().nullable() }),
    segment: z.string().nullable(),
    stage: z.string().nullable(),
    ageDays: z.number().int().nullable(),
    riskScore: z.number().int(),
    category: z.string(),
    winProbability: z.number(),
    modelStatus: z.string(),
    scoredAt: when,
    drivers: z.array(Driver),
    firstAction: Action.nullable(),
    crmUrl: z.string().nullable(),
    currency: z
      .string()
      .nullable()
      .optional()
      .meta({ description: "The deal's own currency as the CRM gave it (null: none named, the CRM's corporate currency)" }),
    converted: z
      .number()
      .nullable()
      .optional()
      .meta({ description: "The amount in the list's currency at the rate for the deal's close date; null without amount or rate" }),
    notConverted: z.string().optional().meta({ description: 'Why the amount has no converted figure (no rate for its close date)' }),
  })
  .meta({ id: 'RiskDeal' });

export const HighRiskResponse = z
  .object({
    total: z.number().int().meta({ description: 'Matching deals, exact up to 1,000 (see totalExact)' }),
    totalExact: z.boolean().meta({ description: 'false when more than 1,000 match: total is then 1,000' }),
    limit: z.number().int(),
    offset: z.number().int(),
    currency: z.string().nullable().optional().meta({
      description:
        "The currency of `converted` (the CRM's corporate currency); sort_by=amount and the amount filters use converted amounts when set, deals without a rate last",
    }),
    deals: z.array(RiskDeal),
  })
  .meta({ id: 'HighRiskList' });

export const DealIdParams = z.object({ id: z.string().min(1).max(300).meta({ description: 'CRM record id, or <source>:<externalId>' }) });

export const DealDetail = z
  .object({
    id: z.string(),
    source: z.string(),
    externalId: z.string(),
    name: z.string().nullable(),
    amount: z.number().nullable(),
    currency: z.string().nullable(),
    status: StageStatus,
    stage: z.string().nullable(),
    owner: z.object({ id: z.string().nullable(), name: z.string().nullable() }),
    createdAt: when.nullable(),
    expectedCloseDate: when.nullable(),
    crmUrl: z.string().nullable(),
    score: z
      .object({
        riskScore: z.number().int(),
        category: z.string(),
        winProbability: z.number(),
        modelStatus: z.string(),
        modelId: z.number().int().nullable(),
        scoredAt: when,
        confidence: z.string().nullable(),
        drivers: z.array(Driver),
        actions: z.array(Action),
      })
      .nullable(),
    history: z.array(z.object({ scoredAt: when, riskScore: z.number().int(), category: z.string(), modelStatus: z.string() })),
    changes: RiskChangeView.nullable().meta({
      description:
        "Why the risk changed since the deal's scoring `changeSinceDays` (7) before its latest one, split exactly into the deal's changes and the model's; null without two scorings",
    }),
  })
  .meta({ id: 'DealDetail' });

export const MetricsQuery = z.object({ segment: z.string().max(200).optional(), owner: z.string().max(200).optional() }).strict();

const Interval = z.object({ low: z.number(), high: z.number() });
export const SegmentWinRate = z
  .object({ segment: z.string(), won: z.number().int(), lost: z.number().int(), winRate: z.number(), interval: Interval })
  .meta({ id: 'SegmentWinRate' });

export const PipelineMetrics = z
  .object({
    asOf: when,
    currency: z.string().nullable().optional().meta({
      description:
        "ISO code of every amount here: the CRM's corporate currency, each deal converted at the rate in force on its close date; null when no deal names a currency",
    }),
    unconverted: UnconvertedDeals.optional(),
    openDeals: z.number().int(),
    rawPipeline: z.number(),
    rapv: z.number().meta({ description: 'Σ amount × segment win rate × aging factor' }),
    optimismGap: z.number().nullable().meta({ description: '1 − RAPV ÷ raw pipeline' }),
    expectedValue: z.number().nullable().meta({ description: 'Σ amount × P(win) over scored open deals' }),
    rem: z.number().nullable().meta({ description: 'win rate × average deal size ÷ average cycle days' }),
    winRate: z.number().nullable(),
    averageDealSize: z.number().nullable(),
    averageCycleDays: z.number().nullable(),
    revenueAtRisk: z.number().meta({ description: 'Amount of High and Critical open deals' }),
    potentialRecovery: z.object({ amount: z.number(), interventionSuccessRate: z.number(), assumption: z.string() }),
    segments: z.array(SegmentWinRate),
    riskDistribution: z.array(z.object({ category: RiskCategory, deals: z.number().int(), amount: z.number() })),
  })
  .meta({ id: 'PipelineMetrics' });

export const Diagnostics = z
  .object({
    winRateByMonth: z.array(
      z.object({ period: z.string(), won: z.number().int(), lost: z.number().int(), winRate: z.number().nullable() }),
    ),
    changePoint: z.object({ period: z.string(), before: z.number(), after: z.number() }).nullable(),
    stageFunnel: z.array(
      z.object({ stage: z.string(), reached: z.number().int(), conversion: z.number().nullable(), medianDays: z.number().nullable() }),
    ),
    cycle: z.object({
      wonMedianDays: z.number().nullable(),
      lostMedianDays: z.number().nullable(),
      won: z.number().int(),
      lost: z.number().int(),
    }),
    owners: z.array(
      z.object({
        ownerId: z.string().nullable(),
        ownerName: z.string().nullable(),
        won: z.number().int(),
        lost: z.number().int(),
        winRate: z.number().nullable(),
        medianCycleDays: z.number().nullable(),
        highRiskOpen: z.number().int(),
      }),
    ),
    insights: z.array(z.object({ text: z.string(), impact: z.number().nullable() })),
    currency: z.string().nullable().optional().meta({
      description: "The currency of the insights' impact (the CRM's corporate currency, each deal at the rate for its close date)",
    }),
    unconverted: z
      .number()
      .int()
      .optional()
      .meta({ description: 'Deals left out of the amounts: no exchange rate for their close date (listed by GET /v1/pipeline/metrics)' }),
  })
  .meta({ id: 'Diagnostics' });

export const ModelDrift = z
  .object({
    modelId: z.number().int().nullable().meta({ description: 'The model version whose predictions were checked' }),
    version: z.number().int().nullable(),
    checkedAt: when.nullable().meta({ description: 'The sync run that checked it' }),
    closedDeals: z.number().int().meta({ description: 'Deals closed since it was trained that it had scored while open' }),
    predictedLossRate: z.number().nullable(),
    observedLossRate: z.number().nullable(),
    calibrationGap: z.number().nullable(),
    auc: z.number().nullable().meta({ description: 'ROC-AUC on those deals' }),
    baselineAuc: z.number().nullable().meta({ description: 'ROC-AUC on its own backtest' }),
    drifted: z.boolean().meta({ description: 'True when the next sync retrains because of it' }),
    reasons: z.array(z.string()),
  })
  .meta({ id: 'ModelDrift', description: 'How the model did on deals that closed since it was trained, as the last sync found' });

export const LastTraining = z
  .object({
    at: when,
    reason: z.string().meta({ description: 'no_model, new_closed, age, drift (the sync) or manual (dealrisk train)' }),
    accepted: z.boolean(),
    forced: z.boolean().meta({ description: 'dealrisk train --force: saved without the "not worse" gate' }),
    why: z.string(),
    compared: z.string().nullable().meta({ description: 'What the "not worse" gate compared the two models on' }),
    candidateAuc: z.number().nullable(),
    activeAuc: z.number().nullable(),
    version: z.number().int().nullable().meta({ description: 'The version it saved, when accepted' }),
  })
  .meta({ id: 'LastTraining', description: 'The last training and the "not worse" decision, kept or not' });

export const BaselineFigures = z
  .object({
    id: z.enum(['crm_probability', 'naive_bayes']).meta({
      description:
        "crm_probability: the CRM's own stage probability (Salesforce Probability, HubSpot hs_deal_stage_probability), when mapped; naive_bayes: Odoo-style naive Bayes over the same mapped fields (docs/scoring.md)",
    }),
    label: z.string().meta({ description: 'How the sentence names it: "the CRM\'s stage probability"' }),
    covered: z.number().int().meta({ description: 'Held-out deals it had a value for; the others count at the base rate' }),
    auc: z.number().nullable(),
    aucLow: z.number().nullable(),
    aucHigh: z.number().nullable(),
    logLoss: z.number().nullable(),
    brier: z.number().nullable(),
    aucDifference: z
      .object({ value: z.number().nullable(), low: z.number().nullable(), high: z.number().nullable() })
      .meta({ description: "The model's AUC minus the baseline's on the same held-out deals, with a paired bootstrap 95% interval" }),
    verdict: z.enum(['model_better', 'baseline_better', 'no_difference']).meta({
      description:
        'baseline_better: higher AUC and the difference interval lies below 0; model_better: it lies above 0; else within the noise',
    }),
    sentence: z.string().meta({ description: '"The model ranks deals better than the CRM\'s stage probability: AUC 0.71 vs 0.62."' }),
  })
  .meta({ id: 'BaselineFigures', description: "A simple baseline's figures on the backtest's held-out deals, beside the model's" });

export const ModelPerformance = z
  .object({
    status: ModelStatusName,
    statusText: z.string(),
    modelId: z.number().int().nullable(),
    version: z.number().int().nullable(),
    trainedAt: when.nullable(),
    backtest: z
      .object({
        auc: z.number().nullable(),
        aucLow: z.number().nullable(),
        aucHigh: z.number().nullable(),
        prAuc: z.number().nullable(),
        logLoss: z.number().nullable(),
        priorLogLoss: z.number().nullable(),
        brier: z.number().nullable(),
        priorBrier: z.number().nullable(),
        liftTop20: z.number().nullable(),
        nTrain: z.number().int().nullable(),
        nTest: z.number().int().nullable(),
        baselines: z.array(BaselineFigures).meta({
          description:
            "The CRM's stage probability (when mapped) and naive Bayes, on the same held-out deals at the same moments as the model (the prior's figures are the prior* fields); empty for a model backtested before baselines were measured",
        }),
      })
      .nullable(),
    calibration: z.array(z.object({ predicted: z.number(), observed: z.number(), n: z.number().int() })),
    segments: z.array(SegmentWinRate),
    droppedFeatures: z.array(z.object({ feature: z.string(), auc: z.number() })),
    history: z.array(
      z.object({
        id: z.number().int(),
        version: z.number().int(),
        status: z.string(),
        active: z.boolean(),
        trainedAt: when,
        auc: z.number().nullable(),
      }),
    ),
    drift: ModelDrift.nullable(),
    lastTraining: LastTraining.nullable(),
  })
  .meta({ id: 'ModelPerformance' });

export const SyncRequest = z.object({ connectionId: z.string().optional() }).strict().default({}).meta({ id: 'SyncRequest' });
export const SyncAccepted = z.object({ requested: z.boolean(), requestedAt: when, message: z.string() }).meta({ id: 'SyncAccepted' });

export const SyncRun = z
  .object({
    id: z.number().int(),
    connectionId: z.string().nullable(),
    trigger: z.string(),
    status: z.string(),
    startedAt: when,
    finishedAt: when.nullable(),
    durationMs: z.number().nullable(),
    counts: z.record(z.string(), z.number()),
    apiCalls: z.number().int(),
    errors: z.array(z.object({ message: z.string(), code: z.string().optional(), step: z.string().optional() })),
    rejected: z
      .array(
        z.object({
          step: z.enum(['map', 'store', 'score', 'write-back', 'tasks']).meta({ description: 'The step the record was turned away at' }),
          recordId: z.string().nullable().meta({ description: "The record's id in the CRM (for a file, its line)" }),
          row: z.number().int().optional().meta({ description: 'Line in the file, for file sources' }),
          field: z.string().nullable(),
          reason: z.string(),
        }),
      )
      .meta({
        description:
          'Records that did not go through, each alone: the rest of the run went on (at most 200 are kept; counts.rejected has them all)',
      }),
    cleaned: z.array(z.object({ recordId: z.string(), row: z.number().int().optional(), field: z.string(), reason: z.string() })).meta({
      description:
        'Fields stored with their text changed so the database could hold it: U+0000 removed, lone surrogates replaced with U+FFFD',
    }),
  })
  .meta({ id: 'SyncRun' });
export const SyncRunsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }).strict();
export const SyncRunsResponse = z.object({ runs: z.array(SyncRun) }).meta({ id: 'SyncRuns' });

export const MappingSource = z.enum(['salesforce', 'hubspot']);
export const MappingQuery = z.object({ source: MappingSource.optional() }).strict();
export const MappingResponse = z
  .object({
    source: MappingSource,
    overridden: z.boolean(),
    mapping: z.record(z.string(), z.unknown()).meta({ description: 'A mapping document (see mappings/*.yaml)' }),
  })
  .meta({ id: 'Mapping' });
export const MappingPut = z
  .object({ source: MappingSource, mapping: z.record(z.string(), z.unknown()) })
  .strict()
  .meta({ id: 'MappingUpdate' });

export const PlaybookResponse = z.object({ overridden: z.boolean(), playbook: Playbook }).meta({ id: 'PlaybookDocument' });
export const PlaybookPut = z.object({ playbook: z.unknown() }).strict().meta({ id: 'PlaybookUpdate' });

/** The managers' digest: each rep's follow-through on the playbook's tasks (src/sync/digest-actions.ts). */
const DigestActionsView = z
  .object({
    sinceDays: z.number().int(),
    actWithinDays: z.number().int(),
    eligible: z.number().int().meta({ description: 'Tasks of the period old enough to tell (acting window over)' }),
    doneWithin: z.number().int().meta({ description: 'Of those, done within actWithinDays' }),
    reps: z.array(
      z.object({
        ownerId: z.string().nullable(),
        ownerName: z.string().nullable(),
        eligible: z.number().int(),
        doneWithin: z.number().int(),
        completed: z.number().int(),
        medianDays: z.number().nullable().meta({ description: 'Median days from the task to done; null when none was done' }),
        open: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'DigestActions' });

export const DigestQuery = z.object({ owner: z.string().max(200).optional() }).strict();
export const DigestResponse = z
  .object({
    asOf: when,
    owners: z.array(
      z.object({
        ownerId: z.string().nullable(),
        ownerName: z.string().nullable(),
        deals: z.array(
          z.object({
            externalId: z.string(),
            name: z.string().nullable(),
            amount: z.number().nullable().meta({ description: "In the deal's own currency" }),
            currency: z.string().nullable().optional().meta({ description: "The deal's own currency (null: the summary's)" }),
            converted: z.number().nullable().optional().meta({ description: "The amount in the summary's currency; null without a rate" }),
            riskScore: z.number().int(),
            category: z.string(),
            firstAction: z.string().nullable(),
          }),
        ),
      }),
    ),
    summary: z.object({
      highRisk: z.number().int(),
      critical: z.number().int(),
      revenueAtRisk: z.number().meta({ description: 'Σ converted amount of the deals listed (deals without a rate left out)' }),
      currency: z.string().nullable().optional(),
    }),
    forecast: DigestForecastView.nullable()
      .optional()
      .meta({ description: "Managers' summary: this quarter's calls against the model (null: the forecast category is not mapped)" }),
    actions: DigestActionsView.nullable()
      .optional()
      .meta({ description: "Managers' summary: each rep's follow-through on the playbook's tasks of the last 30 days (null: none)" }),
  })
  .meta({ id: 'Digest' });

export type DealScoreView = z.infer<typeof DealScore>;
/** The risk distribution is optional here: the API falls back to the stored one when a port leaves it out. */
export type PipelineMetricsView = Omit<z.infer<typeof PipelineMetrics>, 'riskDistribution'> &
  Partial<Pick<z.infer<typeof PipelineMetrics>, 'riskDistribution'>>;
export type DiagnosticsView = z.infer<typeof Diagnostics>;
export type ModelPerformanceView = z.infer<typeof ModelPerformance>;
export type BaselineFiguresView = z.infer<typeof BaselineFigures>;
export type SyncRunView = z.infer<typeof SyncRun>;
export type DigestView = z.infer<typeof DigestResponse>;
export type DriverView = z.infer<typeof Driver>;
export type ActionView = z.infer<typeof Action>;
